import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OrderNotification } from '@orders/shared';
import { apiEvent, call, orderBody } from '../support/api';
import { lambdaContext, loadHandler, sampleEvent } from '../support/fixtures';
import { type OrderSystem, startOrderSystem } from '../support/order-system';

type Task<R = unknown> = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<R>;

describe('workflow task functions', () => {
  let system: OrderSystem;
  let processOrder: Task<{ orderId: string; inStock: boolean; missingSkus: string[] }>;
  let shipOrder: Task<OrderNotification>;
  let backorderOrder: Task<OrderNotification>;
  let failOrder: Task<OrderNotification>;

  beforeAll(async () => {
    system = await startOrderSystem();
    processOrder = system.handler('ProcessOrderFunction');
    shipOrder = system.handler('ShipOrderFunction');
    backorderOrder = system.handler('BackorderOrderFunction');
    failOrder = system.handler('FailOrderFunction');
  });
  afterAll(() => system.close());

  /** Stores the order the sample events refer to (the sample API request's order). */
  async function storeSampleOrder() {
    await call(system.handler('CreateOrderFunction'), sampleEvent('create-order'));
    const { items } = await system.orders.listByCustomer('customer-123', 1);
    return items[0]?.orderId as string;
  }

  async function order(items: Array<{ sku: string; quantity: number }>) {
    const response = await call(
      system.handler('CreateOrderFunction'),
      apiEvent('create-order', 'tasks', { body: orderBody(items) }),
    );
    return response.body.orderId as string;
  }

  it('runs each task on its sample event shape', async () => {
    const orderId = await storeSampleOrder();
    const withId = <T extends object>(event: T) => ({ ...event, orderId });

    const processed = await processOrder(withId(sampleEvent('process-order')), lambdaContext());
    expect(processed).toEqual({ orderId, inStock: false, missingSkus: ['WIDGET-1', 'GADGET-7'] });

    const backordered = await backorderOrder(
      withId(sampleEvent('backorder-order')),
      lambdaContext(),
    );
    expect(backordered).toMatchObject({ type: 'ORDER_BACKORDERED', missingSkus: ['WIDGET-1'] });

    const failed = await failOrder(withId(sampleEvent('fail-order')), lambdaContext());
    expect(failed).toMatchObject({ type: 'ORDER_FAILED', customerId: 'customer-123' });
    expect((await system.orders.get(orderId))?.status).toBe('FAILED');

    await expect(
      shipOrder(withId(sampleEvent('ship-order')), lambdaContext()),
    ).rejects.toMatchObject({ name: 'InvalidOrderStateError' });
  });

  it('rejects a malformed task input as a permanent ValidationError', async () => {
    await expect(processOrder({ order: 'x' }, lambdaContext())).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [{ field: 'orderId', message: expect.any(String) }],
    });
  });

  it('refuses to process an order that has failed', async () => {
    const orderId = await order([{ sku: 'T-1', quantity: 1 }]);
    await failOrder({ orderId, error: { Error: 'Test' } }, lambdaContext());

    await expect(processOrder({ orderId }, lambdaContext())).rejects.toMatchObject({
      name: 'InvalidOrderStateError',
    });
  });

  it('refuses to fail an order that has shipped', async () => {
    await system.inventory.addStock('T-2', 1, 'arrival-1');
    const orderId = await order([{ sku: 'T-2', quantity: 1 }]);
    await processOrder({ orderId }, lambdaContext());
    const first = await shipOrder({ orderId }, lambdaContext());
    const again = await shipOrder({ orderId }, lambdaContext());

    expect(again).toEqual(first);
    await expect(failOrder({ orderId }, lambdaContext())).rejects.toMatchObject({
      name: 'InvalidOrderStateError',
    });
    expect((await system.orders.get(orderId))?.status).toBe('SHIPPED');
  });

  it('reports DynamoDB throttling as a TransientError, the error the workflow retries', async () => {
    // An endpoint that throttles every request, as DynamoDB does past a partition's limits.
    const throttling = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message: 'Rate of requests exceeds the allowed throughput.',
        }),
      );
    }).listen(0, '127.0.0.1');
    await once(throttling, 'listening');
    const saved = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${(throttling.address() as AddressInfo).port}`;
    try {
      const throttled = loadHandler<Task>('process-order');
      await expect(throttled({ orderId: 'any' }, lambdaContext())).rejects.toMatchObject({
        name: 'TransientError',
        cause: expect.objectContaining({ name: 'ProvisionedThroughputExceededException' }),
      });
    } finally {
      process.env.AWS_ENDPOINT_URL_DYNAMODB = saved;
      throttling.close();
    }
  });
});

describe('add-token-scopes (Cognito pre token generation)', () => {
  it('adds the orders scopes to the access token', async () => {
    const handler = loadHandler<Task<{ response: unknown }>>('add-token-scopes');

    const result = await handler(sampleEvent('add-token-scopes'), lambdaContext());

    expect(result.response).toEqual({
      claimsAndScopeOverrideDetails: {
        accessTokenGeneration: { scopesToAdd: ['orders/read', 'orders/write'] },
      },
    });
  });
});
