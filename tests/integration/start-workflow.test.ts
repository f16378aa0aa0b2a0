import type { DynamoDBStreamEvent, SQSBatchResponse } from 'aws-lambda';
import { apiEvent, call, orderBody } from '../support/api';
import { streamRecord, streamRecordOfOrder } from '../support/events';
import { lambdaContext, sampleEvent } from '../support/fixtures';
import { type OrderSystem, startOrderSystem } from '../support/order-system';

type StreamHandler = (
  event: DynamoDBStreamEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<SQSBatchResponse>;

describe('start-workflow (orders table stream)', () => {
  let system: OrderSystem;
  let startWorkflow: StreamHandler;

  beforeAll(async () => {
    system = await startOrderSystem();
    startWorkflow = system.handler('StartWorkflowFunction');
  });
  afterAll(() => system.close());

  async function newOrder(customerId: string) {
    const response = await call(
      system.handler('CreateOrderFunction'),
      apiEvent('create-order', customerId, { body: orderBody([{ sku: 'NONE', quantity: 1 }]) }),
    );
    return response.body.orderId as string;
  }

  it('starts one execution named after the order for the sample event', async () => {
    const event = sampleEvent<DynamoDBStreamEvent>('start-workflow');

    const response = await startWorkflow(event, lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    const [execution] = [...system.sfn.executions.values()];
    expect(execution).toMatchObject({
      name: '0b6f7c1e-2f4d-4c1a-9a53-6f1f3b2d9e10',
      input: JSON.stringify({ orderId: '0b6f7c1e-2f4d-4c1a-9a53-6f1f3b2d9e10' }),
    });
  });

  it('does not start a second execution when the record is delivered again', async () => {
    const orderId = await newOrder('alice');
    const record = await streamRecordOfOrder(system, orderId);

    await startWorkflow({ Records: [record] }, lambdaContext());
    await system.sfn.settle();
    const again = await startWorkflow({ Records: [record] }, lambdaContext());

    expect(again).toEqual({ batchItemFailures: [] });
    const executions = [...system.sfn.executions.values()].filter((e) => e.name === orderId);
    expect(executions).toHaveLength(1);
  });

  it('ignores records that are not new orders', async () => {
    const orderId = await newOrder('bob');
    const update = {
      ...(await streamRecordOfOrder(system, orderId)),
      eventName: 'MODIFY' as const,
    };
    const backorder = streamRecord({ pk: 'BACKORDER#A', sk: 'x', type: 'BACKORDER', orderId });
    const before = system.sfn.executions.size;

    await startWorkflow({ Records: [update, backorder] }, lambdaContext());

    expect(system.sfn.executions.size).toBe(before);
  });

  it('reports only the records it could not start, so the rest are not retried', async () => {
    const good = await streamRecordOfOrder(system, await newOrder('carol'));
    const bad = streamRecord({ pk: 'ORDER#x', sk: 'ORDER', type: 'ORDER', orderId: 'bad name!' });

    const response = await startWorkflow({ Records: [good, bad] }, lambdaContext());

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: bad.dynamodb?.SequenceNumber }],
    });
  });
});
