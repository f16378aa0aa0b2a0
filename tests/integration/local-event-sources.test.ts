import type { Message } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord } from 'aws-lambda';
import {
  StreamEventSourceMapping,
  type StreamMappingOptions,
  type StreamSource,
} from '../../local/event-sources/dynamodb-stream';
import { SqsEventSourceMapping } from '../../local/event-sources/sqs';
import { MAPPING_DEFAULTS } from '../support/stream-mapping';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let sequence = 1000;
/** A stream record; `kind` is what the mappings below filter on. */
function record(kind: 'wanted' | 'other'): DynamoDBRecord {
  return {
    eventName: kind === 'wanted' ? 'INSERT' : 'MODIFY',
    dynamodb: {
      SequenceNumber: String(++sequence),
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      NewImage: { id: { S: String(sequence) } },
    },
  };
}

/** A stream mapping over `source`, passing INSERTs only, with what it delivered. */
function streamMapping(source: StreamSource, overrides: Partial<StreamMappingOptions> = {}) {
  const batches: string[][] = [];
  const mapping = new StreamEventSourceMapping({
    ...MAPPING_DEFAULTS,
    source,
    maximumRetryAttempts: 0,
    reportBatchItemFailures: false,
    filters: [{ eventName: ['INSERT'] }],
    invoke: async (event) => {
      const { Records } = event as { Records: DynamoDBRecord[] };
      batches.push(Records.map((r) => r.dynamodb?.SequenceNumber as string));
      return {};
    },
    ...overrides,
  });
  return { mapping, batches };
}

describe('local Lambda: DynamoDB stream event source mapping', () => {
  it('polls a busy shard four times a second when none of its records pass the filter', async () => {
    // A table changing all the time, none of it for this function: every read finds a record.
    let reads = 0;
    const checkpoints: string[] = [];
    const { mapping, batches } = streamMapping({
      read: async () => {
        reads++;
        return [record('other')];
      },
      checkpoint: async (sequenceNumber) => {
        checkpoints.push(sequenceNumber);
      },
    });

    mapping.start();
    await sleep(1100);
    await mapping.stop();

    expect(batches).toEqual([]);
    expect(reads).toBeGreaterThanOrEqual(4);
    expect(reads).toBeLessThanOrEqual(6);
    expect(checkpoints).toHaveLength(reads);
  });

  it('batches what passed the filter out of one read, and moves past what did not', async () => {
    const shard = Array.from({ length: 25 }, (_, i) => record(i % 5 === 0 ? 'wanted' : 'other'));
    const wanted = shard
      .filter((r) => r.eventName === 'INSERT')
      .map((r) => r.dynamodb?.SequenceNumber);
    const limits: number[] = [];
    const checkpoints: string[] = [];
    const { mapping, batches } = streamMapping(
      {
        read: async (limit) => {
          limits.push(limit);
          return shard.splice(0, limit);
        },
        checkpoint: async (sequenceNumber) => {
          checkpoints.push(sequenceNumber);
        },
      },
      { batchSize: 2, pollIntervalMs: 20 },
    );

    mapping.start();
    await sleep(200);
    await mapping.stop();

    expect(batches).toEqual([wanted.slice(0, 2), wanted.slice(2, 4), wanted.slice(4)]);
    expect(limits[0]).toBe(1000);
    // After each batch, up to its last record; after the last, past the records filtered out.
    expect(checkpoints).toEqual([wanted[1], wanted[3], String(sequence)]);
  });
});

describe('local Lambda: SQS event source mapping', () => {
  /** A queue receiving a message every `everyMs`, and the mapping's requests to it. */
  function queue(everyMs: number) {
    const waiting: Message[] = [];
    let count = 0;
    const timer = setInterval(() => {
      count++;
      waiting.push({
        MessageId: `m-${count}`,
        ReceiptHandle: `r-${count}`,
        Body: `{"n":${count}}`,
        Attributes: { ApproximateReceiveCount: '1' },
      });
    }, everyMs);
    const requests: string[] = [];
    const sqs = {
      async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
        requests.push(command.constructor.name);
        if (command.constructor.name !== 'ReceiveMessageCommand') return {};
        const wait = Number(command.input.WaitTimeSeconds ?? 0) * 1000;
        for (const deadline = Date.now() + wait; waiting.length === 0 && Date.now() < deadline; )
          await sleep(10);
        return { Messages: waiting.splice(0, Number(command.input.MaxNumberOfMessages)) };
      },
    };
    return { sqs, requests, stop: () => clearInterval(timer) };
  }

  function sqsMapping(sqs: unknown, batchingWindowSeconds?: number) {
    const batches: string[][] = [];
    const mapping = new SqsEventSourceMapping({
      name: 'test',
      sqs: sqs as never,
      queueUrl: 'http://queue',
      queueArn: 'arn:queue',
      region: 'us-east-1',
      batchSize: 10,
      batchingWindowSeconds,
      reportBatchItemFailures: false,
      invoke: async (event) => {
        const { Records } = event as { Records: Array<{ messageId: string }> };
        batches.push(Records.map((r) => r.messageId));
      },
      log: () => {},
    });
    return { mapping, batches };
  }

  it('gathers messages for the batching window before it invokes', async () => {
    const q = queue(50);
    const { mapping, batches } = sqsMapping(q.sqs, 1);

    mapping.start();
    await sleep(1300);
    q.stop();
    await mapping.stop();

    // Ten messages in the first half second fill the first batch before its window ends.
    expect(batches[0]).toHaveLength(10);
    expect(batches.length).toBeLessThanOrEqual(3);
    expect(q.requests.filter((r) => r === 'DeleteMessageBatchCommand')).toHaveLength(
      batches.length,
    );
  });

  it('invokes with what one receive returns, without a batching window', async () => {
    const q = queue(50);
    const { mapping, batches } = sqsMapping(q.sqs);

    mapping.start();
    await sleep(500);
    q.stop();
    await mapping.stop();

    expect(batches.length).toBeGreaterThan(3);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThan(10);
  });
});
