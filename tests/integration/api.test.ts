import { randomUUID } from 'node:crypto';
import { apiEvent, call, orderBody } from '../support/api';
import { type App, startApp } from '../support/app';
import { sampleEvent } from '../support/fixtures';

/** The HTTP API functions, as Lambda runs them (built bundles), against the local DynamoDB. */
describe('HTTP API functions', () => {
  let app: App;
  const create = (customer: string, body: unknown, headers: Record<string, string> = {}) =>
    call(app, 'CreateOrderFunction', apiEvent('create-order', customer, { body, headers }));
  const get = (customer: string, orderId: string) =>
    call(app, 'GetOrderFunction', apiEvent('get-order', customer, { pathParameters: { orderId } }));
  const list = (customer: string, query: Record<string, string> = {}) =>
    call(
      app,
      'ListOrdersFunction',
      apiEvent('list-orders', customer, { queryStringParameters: query }),
    );

  beforeAll(async () => {
    app = await startApp({ ownDynamoDb: true });
    for (const sku of ['WIDGET-1', 'GADGET-7', 'A-1']) {
      await app.inventory.receive({ arrivalId: `seed-${sku}`, sku, quantity: 1000 }, new Date());
    }
  }, 60_000);
  afterAll(() => app.stop());

  describe('POST /orders', () => {
    it('stores the sample order as PENDING and answers 202 with its location', async () => {
      const response = await call(app, 'CreateOrderFunction', sampleEvent('create-order'));

      expect(response.status).toBe(202);
      expect(response.body.status).toBe('PENDING');
      expect(response.headers.location).toBe(`/orders/${response.body.orderId}`);
      expect(await app.order(response.body.orderId)).toMatchObject({
        customerId: 'customer-123',
        status: 'PENDING',
      });
    });

    it('takes the customer from the token, never from the body', async () => {
      const body = { ...orderBody([{ sku: 'A-1', quantity: 1 }]), customerId: 'mallory' };
      const response = await create('alice', body);

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ field: 'customerId', message: 'is not allowed' }]);
    });

    it('answers 400 naming every bad field', async () => {
      const body = { items: [{ sku: 'lower case', quantity: -1 }], shippingAddress: {} };
      const response = await create('alice', body);

      expect(response.status).toBe(400);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(
        expect.arrayContaining([
          'items.0.sku',
          'items.0.quantity',
          'shippingAddress.name',
          'shippingAddress.country',
        ]),
      );
    });

    it('answers 400 naming each SKU the inventory does not know', async () => {
      const response = await create(
        'alice',
        orderBody([
          { sku: 'WIDGET-1', quantity: 1 },
          { sku: 'NO-SUCH-SKU', quantity: 1 },
          { sku: 'NOR-THIS', quantity: 1 },
        ]),
      );

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([
        { field: 'items.1.sku', message: 'is not a known SKU' },
        { field: 'items.2.sku', message: 'is not a known SKU' },
      ]);
    });

    it('answers 400 for a body that is not JSON, or none', async () => {
      const notJson = await create('alice', '{');
      expect(notJson).toMatchObject({
        status: 400,
        body: { errors: [{ field: 'body', message: 'must be valid JSON' }] },
      });
      for (const body of ['null', '[]', '"order"']) {
        expect((await create('alice', body)).body.errors).toEqual([
          { field: 'body', message: 'must be an object' },
        ]);
      }
      const event = apiEvent('create-order', 'alice');
      delete event.body;
      expect((await call(app, 'CreateOrderFunction', event)).body.errors).toEqual([
        { field: 'body', message: 'is required' },
      ]);
    });

    it('answers 415 naming content-type for a body sent as anything but JSON', async () => {
      const body = orderBody([{ sku: 'A-1', quantity: 1 }]);
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
        expect(await create('alice', body, { 'content-type': type })).toMatchObject({
          status: 415,
          body: { errors: [{ field: 'content-type', message: 'must be application/json' }] },
        });
      }
      for (const type of [
        'application/json; charset=utf-8',
        'Application/JSON',
        'application/vnd.api+json',
      ]) {
        expect((await create('alice', body, { 'content-type': type })).status).toBe(202);
      }
    });

    it('reads a base64-encoded body', async () => {
      const event = apiEvent('create-order', 'alice', {
        body: Buffer.from(JSON.stringify(orderBody([{ sku: 'A-1', quantity: 1 }]))).toString(
          'base64',
        ),
      });
      event.isBase64Encoded = true;
      expect((await call(app, 'CreateOrderFunction', event)).status).toBe(202);
    });

    it('answers a retry with the same Idempotency-Key with the first answer, storing one order', async () => {
      const send = () =>
        create('bob', orderBody([{ sku: 'A-1', quantity: 2 }]), {
          'idempotency-key': 'checkout-1',
        });
      const [first, second] = await Promise.all([send(), send()]);
      const third = await send();

      expect(second).toEqual(first);
      expect(third).toEqual(first);
      expect((await list('bob')).body.orders).toHaveLength(1);
    });

    it('keeps Idempotency-Keys apart per customer, and refuses another body with 422', async () => {
      const headers = { 'idempotency-key': 'shared-key' };
      const body = orderBody([{ sku: 'A-1', quantity: 1 }]);
      const carol = await create('carol', body, headers);
      const dave = await create('dave', body, headers);
      const reused = await create('carol', orderBody([{ sku: 'A-1', quantity: 9 }]), headers);

      expect(dave.body.orderId).not.toBe(carol.body.orderId);
      expect(reused.status).toBe(422);
      expect(reused.body.message).toMatch(/Idempotency-Key/);
    });

    it('answers 400 for a malformed Idempotency-Key', async () => {
      const response = await create('alice', orderBody([{ sku: 'A-1', quantity: 1 }]), {
        'idempotency-key': 'has spaces in it',
      });
      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('Idempotency-Key');
    });

    it('reads the claims of the Lambda authorizer as of the JWT authorizer', async () => {
      const event = apiEvent('create-order', 'ignored', {
        body: orderBody([{ sku: 'A-1', quantity: 1 }]),
      });
      (event.requestContext as { authorizer: unknown }).authorizer = { lambda: { sub: 'olivia' } };
      const response = await call(app, 'CreateOrderFunction', event);
      expect(response.status).toBe(202);
      expect((await app.order(response.body.orderId))?.customerId).toBe('olivia');
    });
  });

  describe('GET /orders/{orderId}', () => {
    it("returns the caller's own order, and 404 (not 403) to anyone else", async () => {
      const created = await create('frank', orderBody([{ sku: 'A-1', quantity: 1 }]));

      // The workflow may have moved the order on since; what it was created as stays.
      const { status: _, updatedAt: __, ...asCreated } = created.body;
      expect(await get('frank', created.body.orderId)).toMatchObject({
        status: 200,
        body: asCreated,
      });
      expect(await get('mallory', created.body.orderId)).toMatchObject({
        status: 404,
        body: { message: `Order ${created.body.orderId} not found` },
      });
      expect((await get('mallory', randomUUID())).status).toBe(404);
    });

    it('answers 400 naming orderId for an id that cannot be one, however long', async () => {
      for (const orderId of ['no-such-order', 'x'.repeat(2043), 'ORDER#1']) {
        const response = await get('frank', orderId);
        expect(response.status).toBe(400);
        expect(response.body.errors).toEqual([
          { field: 'orderId', message: 'must be an order id' },
        ]);
      }
    });
  });

  describe('GET /orders', () => {
    it("lists only the caller's orders, newest first, a page at a time", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(
          (await create('heidi', orderBody([{ sku: 'A-1', quantity: i + 1 }]))).body.orderId,
        );
        await new Promise((r) => setTimeout(r, 2)); // distinct creation times
      }
      await create('ivan', orderBody([{ sku: 'A-1', quantity: 1 }]));

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await list('heidi', { limit: '2', ...(cursor ? { cursor } : {}) });
        expect(page.status).toBe(200);
        seen.push(...page.body.orders.map((o: { orderId: string }) => o.orderId));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);

      expect(seen).toEqual([...ids].reverse());
      expect(pages).toBeGreaterThanOrEqual(3);
    });

    it('answers 400 naming limit for a bad limit', async () => {
      for (const limit of ['0', '101', 'ten', '1.5']) {
        const response = await list('heidi', { limit });
        expect(response.status).toBe(400);
        expect(response.body.errors[0].field).toBe('limit');
      }
    });

    it("answers 400 naming cursor for any cursor that is not one of the caller's own", async () => {
      const first = await list('heidi', { limit: '1' });
      const mine = JSON.parse(Buffer.from(first.body.nextCursor, 'base64url').toString());
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const bad = [
        first.body.nextCursor, // heidi's, used by mallory below
        'not-a-cursor',
        '!!!',
        encode({ customer: 'heidi' }), // no position
        encode({ ...mine, extra: 1 }), // one attribute too many
        encode({ ...mine, after: 'gsi1sk' }),
        encode({ gsi1pk: 'CUSTOMER#heidi', pk: 'x' }), // a raw start key
        encode([mine]),
        encode('x'.repeat(600)),
      ];
      for (const [i, cursor] of bad.entries()) {
        const response = await list(i === 0 ? 'mallory' : 'heidi', { cursor });
        expect({ cursor, status: response.status, errors: response.body.errors }).toEqual({
          cursor,
          status: 400,
          errors: [{ field: 'cursor', message: expect.any(String) }],
        });
      }
    });
  });

  describe('when DynamoDB is down', () => {
    it('answers 503 with Retry-After, and the order can be placed once it is back', async () => {
      await app.stack.faults.inject({ service: 'dynamodb', mode: 'unavailable', seconds: 2 });
      const down = await create('judy', orderBody([{ sku: 'A-1', quantity: 1 }]));
      await app.stack.faults.inject({ service: 'dynamodb', mode: 'unreachable', seconds: 2 });
      const unreachable = await list('judy');
      await app.stack.faults.clear();
      const back = await create('judy', orderBody([{ sku: 'A-1', quantity: 1 }]));

      for (const response of [down, unreachable]) {
        expect(response.status).toBe(503);
        expect(response.headers['retry-after']).toBe('2');
        expect(response.body).toEqual({ message: 'Service unavailable, please retry' });
      }
      expect(back.status).toBe(202);
      // Each function's log says why.
      const log = app.lines.join('\n');
      expect(log).toMatch(/CreateOrderFunction: WARN Dependency unavailable .*ServiceUnavailable/);
      expect(log).toMatch(/ListOrdersFunction: WARN Dependency unavailable .*ECONNREFUSED/);
    });
  });
});
