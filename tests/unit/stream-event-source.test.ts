import type { DynamoDBRecord } from 'aws-lambda';
import {
  type StreamEventSourceMapping as Mapping,
  StreamEventSourceMapping,
  type StreamSource,
} from '../../local/event-sources/dynamodb-stream';
import { MAPPING_DEFAULTS } from '../support/stream-mapping';

function records(count: number): DynamoDBRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    eventName: 'INSERT',
    dynamodb: {
      SequenceNumber: String(1000 + i),
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      NewImage: { id: { S: String(i) } },
    },
  }));
}

/** Runs a trigger over the records until it has been idle, recording what happened. */
async function run(
  batch: DynamoDBRecord[],
  handler: (ids: string[]) => unknown,
  overrides: Partial<ConstructorParameters<typeof Mapping>[0]> = {},
) {
  // The shard, read in order; `checkpoints` records how far the mapping said it got.
  const shard = [...batch];
  const checkpoints: string[] = [];
  const source: StreamSource = {
    read: async (limit) => shard.splice(0, limit),
    checkpoint: async (sequenceNumber) => {
      checkpoints.push(sequenceNumber);
    },
  };
  const calls: string[][] = [];
  const sent: unknown[] = [];
  const trigger = new StreamEventSourceMapping({
    ...MAPPING_DEFAULTS,
    source,
    maximumRetryAttempts: 2,
    reportBatchItemFailures: true,
    filters: [],
    onFailure: {
      queueUrl: 'failures',
      sqs: {
        send: async (command: { input: { MessageBody: string } }) =>
          sent.push(JSON.parse(command.input.MessageBody)),
      } as never,
    },
    invoke: async (event) => {
      const ids = (event as { Records: DynamoDBRecord[] }).Records.map(
        (r) => r.dynamodb?.SequenceNumber as string,
      );
      calls.push(ids);
      return handler(ids);
    },
    retryDelayMs: 1,
    pollIntervalMs: 5,
    ...overrides,
  });
  trigger.start();
  await new Promise((r) => setTimeout(r, 300));
  await trigger.stop();
  return { calls, sent, checkpoints };
}

describe('DynamoDB stream event source mapping', () => {
  it('delivers a batch once when the function succeeds, then moves past it', async () => {
    const { calls, sent, checkpoints } = await run(records(3), () => ({ batchItemFailures: [] }));
    expect(calls).toEqual([['1000', '1001', '1002']]);
    expect(sent).toEqual([]);
    expect(checkpoints).toEqual(['1002']);
  });

  it('retries a throttled batch without counting it as an attempt', async () => {
    let throttles = 5;
    const { calls, sent } = await run(
      records(1),
      () => {
        if (throttles-- > 0)
          throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
        return {};
      },
      { maximumRetryAttempts: 0 },
    );
    expect(calls).toHaveLength(6);
    expect(sent).toEqual([]);
  });

  it('retries from the first reported failure, then gives up to the on-failure queue', async () => {
    const { calls, sent } = await run(records(3), (ids) => ({
      batchItemFailures: ids.includes('1001') ? [{ itemIdentifier: '1001' }] : [],
    }));
    expect(calls).toEqual([
      ['1000', '1001', '1002'],
      ['1001', '1002'],
      ['1001', '1002'],
    ]);
    expect(sent).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 3,
        }),
        DDBStreamBatchInfo: expect.objectContaining({
          startSequenceNumber: '1001',
          endSequenceNumber: '1002',
          batchSize: 2,
        }),
      }),
    ]);
  });

  it('bisects a failing batch down to the poison record', async () => {
    const { calls, sent } = await run(
      records(4),
      (ids) => {
        if (ids.includes('1002')) throw new Error('poison');
        return {};
      },
      { bisectOnError: true, maximumRetryAttempts: 0 },
    );
    expect(calls).toEqual([
      ['1000', '1001', '1002', '1003'],
      ['1000', '1001'],
      ['1002', '1003'],
      ['1002'],
      ['1003'],
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      DDBStreamBatchInfo: { startSequenceNumber: '1002', batchSize: 1 },
    });
  });

  it('passes only records that match the filter criteria', async () => {
    const [a, b] = records(2) as [DynamoDBRecord, DynamoDBRecord];
    const { calls, checkpoints } = await run([{ ...a, eventName: 'MODIFY' }, b], () => ({}), {
      filters: [{ eventName: ['INSERT'] }],
    });
    expect(calls).toEqual([['1001']]);
    expect(checkpoints).toEqual(['1001']);
  });
});
