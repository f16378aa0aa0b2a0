/**
 * The DynamoDB Streams API (JSON 1.0, `X-Amz-Target: DynamoDBStreams_20120810.<Operation>`) on
 * the same port as DynamoDB, as DynamoDB Local serves it, so `@aws-sdk/client-dynamodb-streams`
 * pointed at the service works unchanged:
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB_Streams.html
 *
 * ListStreams, DescribeStream, GetShardIterator (TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER,
 * AFTER_SEQUENCE_NUMBER) and GetRecords (Limit, NextShardIterator). Each stream has one shard; an
 * open shard always gives a NextShardIterator, a closed one (stream disabled) none once read to its
 * end. A shard iterator expires 15 minutes after it is returned, as in AWS (ExpiredIteratorException).
 */
import { AwsError, notFound, validationError } from './errors';
import type { StreamDescription, StreamStore } from './streams';

const ITERATOR_LIFETIME_MS = 15 * 60 * 1000;

interface Iterator {
  /** Stream ARN. */
  a: string;
  /** Shard id. */
  s: string;
  /** Records after this sequence number come next. */
  p: string;
  /** When the iterator was returned (ms). */
  t: number;
}

const encode = (it: Iterator) => Buffer.from(JSON.stringify(it)).toString('base64url');

function decode(value: unknown): Iterator {
  try {
    const it = JSON.parse(Buffer.from(String(value), 'base64url').toString('utf8')) as Iterator;
    if (typeof it.a === 'string' && typeof it.p === 'string' && typeof it.t === 'number') return it;
  } catch {
    // reported below
  }
  throw validationError('Invalid ShardIterator');
}

/** The sequence number before `sequence` (records are read after a position). */
const before = (sequence: string) => (BigInt(sequence) - 1n).toString().padStart(21, '0');

export class StreamsApi {
  constructor(private readonly store: StreamStore) {}

  handle(operation: string, input: Record<string, unknown>): Record<string, unknown> {
    switch (operation) {
      case 'ListStreams':
        return this.listStreams(input);
      case 'DescribeStream':
        return this.describeStream(input);
      case 'GetShardIterator':
        return this.getShardIterator(input);
      case 'GetRecords':
        return this.getRecords(input);
      default:
        throw new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
    }
  }

  private stream(arn: unknown) {
    const stream = typeof arn === 'string' ? this.store.get(arn) : undefined;
    if (!stream) throw notFound(`Requested resource not found: Stream: ${String(arn)} not found`);
    return stream;
  }

  private listStreams(input: Record<string, unknown>) {
    const limit = limitOf(input.Limit, 100);
    let streams = this.store
      .list()
      .filter((d) => input.TableName === undefined || d.TableName === input.TableName);
    if (input.ExclusiveStartStreamArn !== undefined) {
      const start = streams.findIndex((d) => d.StreamArn === input.ExclusiveStartStreamArn);
      streams = streams.slice(start + 1);
    }
    const page = streams.slice(0, limit);
    return {
      Streams: page.map((d) => ({
        StreamArn: d.StreamArn,
        TableName: d.TableName,
        StreamLabel: d.StreamLabel,
      })),
      ...(streams.length > limit ? { LastEvaluatedStreamArn: page.at(-1)?.StreamArn } : {}),
    };
  }

  private describeStream(input: Record<string, unknown>) {
    const { description: d } = this.stream(input.StreamArn);
    const shards = input.ExclusiveStartShardId === d.ShardId ? [] : [shardOf(d)];
    return {
      StreamDescription: {
        StreamArn: d.StreamArn,
        StreamLabel: d.StreamLabel,
        StreamStatus: d.StreamStatus,
        StreamViewType: d.StreamViewType,
        CreationRequestDateTime: d.CreationRequestDateTime,
        TableName: d.TableName,
        KeySchema: d.KeySchema,
        Shards: shards,
      },
    };
  }

  private getShardIterator(input: Record<string, unknown>) {
    const { description: d, records } = this.stream(input.StreamArn);
    if (input.ShardId !== d.ShardId)
      throw notFound(`Requested resource not found: Shard: ${String(input.ShardId)} not found`);
    const type = input.ShardIteratorType;
    const sequence = input.SequenceNumber;
    let position: string;
    if (type === 'TRIM_HORIZON') position = d.TrimmedThrough ?? before(d.StartingSequenceNumber);
    else if (type === 'LATEST')
      position = records.at(-1)?.dynamodb.SequenceNumber ?? before(d.StartingSequenceNumber);
    else if (type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER') {
      if (typeof sequence !== 'string' || !/^\d{1,40}$/.test(sequence))
        throw validationError(`A SequenceNumber is required for ShardIteratorType ${type}`);
      const padded = sequence.padStart(21, '0');
      if (d.TrimmedThrough && padded <= d.TrimmedThrough)
        throw new AwsError(
          'TrimmedDataAccessException',
          `Sequence number ${sequence} is beyond the trim horizon of the shard`,
        );
      position = type === 'AT_SEQUENCE_NUMBER' ? before(padded) : padded;
    } else
      throw validationError(
        `1 validation error detected: Value '${String(type)}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]`,
      );
    return { ShardIterator: encode({ a: d.StreamArn, s: d.ShardId, p: position, t: Date.now() }) };
  }

  private getRecords(input: Record<string, unknown>) {
    const limit = limitOf(input.Limit, 1000);
    const iterator = decode(input.ShardIterator);
    if (Date.now() - iterator.t > ITERATOR_LIFETIME_MS)
      throw new AwsError(
        'ExpiredIteratorException',
        `Iterator expired. The iterator was created at time ${new Date(iterator.t).toISOString()} while right now it is ${new Date().toISOString()}.`,
      );
    const { description: d, records } = this.stream(iterator.a);
    if (d.TrimmedThrough && iterator.p < d.TrimmedThrough)
      throw new AwsError('TrimmedDataAccessException', 'The shard iterator points to trimmed data');
    const start = firstAfter(records, iterator.p);
    const page = records.slice(start, start + limit);
    const position = page.at(-1)?.dynamodb.SequenceNumber ?? iterator.p;
    const closedAndRead = d.StreamStatus === 'DISABLED' && start + page.length >= records.length;
    return {
      Records: page,
      ...(closedAndRead
        ? {}
        : { NextShardIterator: encode({ ...iterator, p: position, t: Date.now() }) }),
    };
  }
}

function shardOf(d: StreamDescription) {
  return {
    ShardId: d.ShardId,
    SequenceNumberRange: {
      StartingSequenceNumber: d.StartingSequenceNumber,
      ...(d.EndingSequenceNumber ? { EndingSequenceNumber: d.EndingSequenceNumber } : {}),
    },
  };
}

/** The index of the first record whose sequence number is after `position` (binary search). */
function firstAfter(records: Array<{ dynamodb: { SequenceNumber: string } }>, position: string) {
  let low = 0;
  let high = records.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((records[mid]?.dynamodb.SequenceNumber ?? '') <= position) low = mid + 1;
    else high = mid;
  }
  return low;
}

function limitOf(value: unknown, max: number): number {
  if (value === undefined) return max;
  if (typeof value !== 'number' || value < 1 || value > max)
    throw validationError(
      `1 validation error detected: Value '${String(value)}' at 'limit' failed to satisfy constraint: Member must have value ${Number(value) < 1 ? 'greater than or equal to 1' : `less than or equal to ${max}`}`,
    );
  return value;
}
