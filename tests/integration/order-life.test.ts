import type { DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { apiEvent, call, type HttpHandler, orderBody } from '../support/api';
import { sqsBatch, streamRecordOfOrder } from '../support/events';
import { lambdaContext } from '../support/fixtures';
import { type OrderSystem, startOrderSystem } from '../support/order-system';

type BatchHandler<E> = (
  event: E,
  context: ReturnType<typeof lambdaContext>,
) => Promise<SQSBatchResponse>;

/**
 * An order's whole life through the functions, as the deployed stack runs it: the API stores it,
 * the table's stream starts the workflow, the workflow ships or backorders it and publishes the
 * notification, and a stock arrival resumes it.
 */
describe("an order's life", () => {
  let system: OrderSystem;
  let createOrder: HttpHandler;
  let getOrder: HttpHandler;
  let startWorkflow: BatchHandler<DynamoDBStreamEvent>;
  let restock: BatchHandler<SQSEvent>;

  beforeAll(async () => {
    system = await startOrderSystem();
    createOrder = system.handler('CreateOrderFunction');
    getOrder = system.handler('GetOrderFunction');
    startWorkflow = system.handler('StartWorkflowFunction');
    restock = system.handler('RestockFunction');
  });
  afterAll(() => system.close());

  async function place(customerId: string, sku: string, quantity: number) {
    const created = await call(
      createOrder,
      apiEvent('create-order', customerId, { body: orderBody([{ sku, quantity }]) }),
    );
    const { orderId } = created.body;
    // What DynamoDB Streams delivers for the new item.
    await startWorkflow({ Records: [await streamRecordOfOrder(system, orderId)] }, lambdaContext());
    await system.sfn.settle();
    return orderId as string;
  }

  async function statusSeenBy(customerId: string, orderId: string) {
    const response = await call(
      getOrder,
      apiEvent('get-order', customerId, { pathParameters: { orderId } }),
    );
    return response.body.status;
  }

  it('goes from PENDING to SHIPPED when the stock is there', async () => {
    await system.inventory.addStock('LIFE-1', 10, 'arrival-1');

    const orderId = await place('alice', 'LIFE-1', 3);

    expect(await statusSeenBy('alice', orderId)).toBe('SHIPPED');
    const execution = [...system.sfn.executions.values()].find((e) => e.name === orderId);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(system.notificationsFor(orderId)).toEqual([
      expect.objectContaining({
        topicArn: expect.stringContaining('OrderEventsTopic'),
        eventType: 'ORDER_SHIPPED',
      }),
    ]);
  });

  it('waits as BACKORDERED and ships when stock arrives', async () => {
    const orderId = await place('bob', 'LIFE-2', 2);
    expect(await statusSeenBy('bob', orderId)).toBe('BACKORDERED');

    const response = await restock(
      sqsBatch([{ arrivalId: 'asn-life-2', sku: 'LIFE-2', quantity: 5 }]),
      lambdaContext(),
    );
    await system.sfn.settle();

    expect(response.batchItemFailures).toEqual([]);
    expect(await statusSeenBy('bob', orderId)).toBe('SHIPPED');
    expect(await system.inventory.available('LIFE-2')).toBe(3);
    expect(system.notificationsFor(orderId).map((n) => n.eventType)).toEqual([
      'ORDER_BACKORDERED',
      'ORDER_SHIPPED',
    ]);
  });
});
