import { apiEvent, call, type HttpHandler, orderBody } from '../support/api';
import { sampleEvent } from '../support/fixtures';
import { type OrderSystem, startOrderSystem } from '../support/order-system';

describe('HTTP API functions', () => {
  let system: OrderSystem;
  let createOrder: HttpHandler;
  let getOrder: HttpHandler;
  let listOrders: HttpHandler;

  beforeAll(async () => {
    system = await startOrderSystem();
    createOrder = system.handler('CreateOrderFunction');
    getOrder = system.handler('GetOrderFunction');
    listOrders = system.handler('ListOrdersFunction');
  });
  afterAll(() => system.close());

  describe('POST /orders', () => {
    it('stores the sample order as PENDING and answers 202 with its location', async () => {
      const response = await call(createOrder, sampleEvent('create-order'));

      expect(response.status).toBe(202);
      expect(response.body.status).toBe('PENDING');
      expect(response.headers.location).toBe(`/orders/${response.body.orderId}`);
      const stored = await system.orders.get(response.body.orderId);
      expect(stored).toMatchObject({ customerId: 'customer-123', status: 'PENDING' });
    });

    it('takes the customer from the token, never from the body', async () => {
      const body = { ...orderBody([{ sku: 'A-1', quantity: 1 }]), customerId: 'mallory' };
      const response = await call(createOrder, apiEvent('create-order', 'alice', { body }));

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([
        { field: '(root)', message: expect.stringContaining('customerId') },
      ]);
    });

    it('answers 400 naming every bad field', async () => {
      const body = { items: [{ sku: 'lower case', quantity: -1 }], shippingAddress: {} };
      const response = await call(createOrder, apiEvent('create-order', 'alice', { body }));

      expect(response.status).toBe(400);
      const fields = response.body.errors.map((e: { field: string }) => e.field);
      expect(fields).toEqual(
        expect.arrayContaining([
          'items.0.sku',
          'items.0.quantity',
          'shippingAddress.name',
          'shippingAddress.country',
        ]),
      );
    });

    it('answers 400 for a body that is not JSON, or none', async () => {
      const notJson = await call(createOrder, apiEvent('create-order', 'alice', { body: '{' }));
      expect(notJson).toMatchObject({
        status: 400,
        body: { errors: [{ field: 'body', message: 'must be valid JSON' }] },
      });

      const event = apiEvent('create-order', 'alice');
      delete event.body;
      expect((await call(createOrder, event)).body.errors).toEqual([
        { field: 'body', message: 'is required' },
      ]);
    });

    it('reads a base64-encoded body', async () => {
      const event = apiEvent('create-order', 'alice', {
        body: Buffer.from(JSON.stringify(orderBody([{ sku: 'A-1', quantity: 1 }]))).toString(
          'base64',
        ),
        headers: { 'idempotency-key': 'base64-body' },
      });
      event.isBase64Encoded = true;
      expect((await call(createOrder, event)).status).toBe(202);
    });

    it('answers a retry with the same Idempotency-Key with the first answer', async () => {
      const event = () =>
        apiEvent('create-order', 'bob', {
          body: orderBody([{ sku: 'A-1', quantity: 2 }]),
          headers: { 'idempotency-key': 'checkout-1' },
        });
      const first = await call(createOrder, event());
      const retry = await call(createOrder, event());

      expect(retry).toEqual(first);
      const { items } = await system.orders.listByCustomer('bob', 10);
      expect(items).toHaveLength(1);
    });

    it('keeps Idempotency-Keys apart per customer', async () => {
      const headers = { 'idempotency-key': 'shared-key' };
      const body = orderBody([{ sku: 'A-1', quantity: 1 }]);
      const carol = await call(createOrder, apiEvent('create-order', 'carol', { body, headers }));
      const dave = await call(createOrder, apiEvent('create-order', 'dave', { body, headers }));

      expect(dave.status).toBe(202);
      expect(dave.body.orderId).not.toBe(carol.body.orderId);
    });

    it('answers 422 when an Idempotency-Key comes back with another body', async () => {
      const headers = { 'idempotency-key': 'checkout-2' };
      await call(
        createOrder,
        apiEvent('create-order', 'erin', {
          body: orderBody([{ sku: 'A-1', quantity: 1 }]),
          headers,
        }),
      );
      const reused = await call(
        createOrder,
        apiEvent('create-order', 'erin', {
          body: orderBody([{ sku: 'A-1', quantity: 9 }]),
          headers,
        }),
      );

      expect(reused.status).toBe(422);
      expect(reused.body.message).toMatch(/Idempotency-Key/);
    });

    it('answers 400 for a malformed Idempotency-Key', async () => {
      const response = await call(
        createOrder,
        apiEvent('create-order', 'alice', {
          body: orderBody([{ sku: 'A-1', quantity: 1 }]),
          headers: { 'idempotency-key': 'has spaces in it' },
        }),
      );
      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('Idempotency-Key');
    });
  });

  describe('GET /orders/{orderId}', () => {
    it("returns the caller's own order", async () => {
      const created = await call(
        createOrder,
        apiEvent('create-order', 'frank', { body: orderBody([{ sku: 'A-1', quantity: 1 }]) }),
      );
      const { orderId } = created.body;

      const response = await call(
        getOrder,
        apiEvent('get-order', 'frank', { pathParameters: { orderId } }),
      );

      expect(response.status).toBe(200);
      expect(response.body).toEqual(created.body);
    });

    it('answers 404, not 403, for an order that belongs to someone else', async () => {
      const created = await call(
        createOrder,
        apiEvent('create-order', 'grace', { body: orderBody([{ sku: 'A-1', quantity: 1 }]) }),
      );
      const theirs = await call(
        getOrder,
        apiEvent('get-order', 'mallory', { pathParameters: { orderId: created.body.orderId } }),
      );
      const missing = await call(
        getOrder,
        apiEvent('get-order', 'mallory', { pathParameters: { orderId: 'no-such-order' } }),
      );

      expect(theirs.status).toBe(404);
      expect(theirs.body).toEqual({ message: `Order ${created.body.orderId} not found` });
      expect(missing.status).toBe(404);
    });
  });

  describe('GET /orders', () => {
    it("lists only the caller's orders, newest first, a page at a time", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const created = await call(
          createOrder,
          apiEvent('create-order', 'heidi', { body: orderBody([{ sku: 'A-1', quantity: i + 1 }]) }),
        );
        ids.push(created.body.orderId);
        await new Promise((r) => setTimeout(r, 2)); // distinct creation times
      }
      await call(
        createOrder,
        apiEvent('create-order', 'ivan', { body: orderBody([{ sku: 'A-1', quantity: 1 }]) }),
      );

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await call(
          listOrders,
          apiEvent('list-orders', 'heidi', {
            queryStringParameters: { limit: '2', ...(cursor ? { cursor } : {}) },
          }),
        );
        expect(page.status).toBe(200);
        seen.push(...page.body.orders.map((o: { orderId: string }) => o.orderId));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);

      expect(seen).toEqual([...ids].reverse());
      expect(pages).toBeGreaterThanOrEqual(3);
    });

    it('answers 400 for a bad limit', async () => {
      const response = await call(
        listOrders,
        apiEvent('list-orders', 'heidi', { queryStringParameters: { limit: '0' } }),
      );
      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('limit');
    });

    it("answers 400 for a cursor that is not from the caller's listing", async () => {
      const first = await call(
        listOrders,
        apiEvent('list-orders', 'heidi', { queryStringParameters: { limit: '1' } }),
      );
      const stolen = await call(
        listOrders,
        apiEvent('list-orders', 'mallory', {
          queryStringParameters: { cursor: first.body.nextCursor },
        }),
      );
      const garbage = await call(
        listOrders,
        apiEvent('list-orders', 'heidi', { queryStringParameters: { cursor: 'not-a-cursor' } }),
      );

      expect(stolen.status).toBe(400);
      expect(stolen.body.errors).toEqual([
        { field: 'cursor', message: 'is not a cursor from this listing' },
      ]);
      expect(garbage.status).toBe(400);
    });
  });
});
