import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ShardIteratorType,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord, SQSBatchResponse } from 'aws-lambda';
import { type FilterPattern, matchesAny } from './filter-criteria';
import { PollingLoop } from './polling-loop';

/** Where a mapping reads records: one shard's records in order, and where it got to. */
export interface StreamSource {
  /** Up to `limit` records after the last one read; [] when there are none yet. */
  read(limit: number): Promise<DynamoDBRecord[]>;
  /** Processing reached this record (a persisted source resumes after it at the next start). */
  checkpoint(sequenceNumber: string): Promise<void>;
}

export interface StreamMappingOptions {
  name: string;
  source: StreamSource;
  streamArn: string;
  functionArn: string;
  batchSize: number;
  batchingWindowSeconds: number;
  maximumRetryAttempts: number;
  maximumRecordAgeSeconds: number;
  bisectOnError: boolean;
  reportBatchItemFailures: boolean;
  filters: FilterPattern[];
  onFailure?: { sqs: SQSClient; queueUrl: string };
  invoke(event: unknown): Promise<unknown>;
  log(line: string): void;
  /**
   * A fixed pause before every retry (ms), for demonstrations and tests. Default: Lambda's
   * exponential backoff, here 1 s before the first retry, doubled each time up to 32 s.
   */
  retryDelayMs?: number;
  /** Pause between reads of an idle shard (Lambda polls a shard about four times a second). */
  pollIntervalMs?: number;
}

/** The ids a function reported failed (`ReportBatchItemFailures`), or 'invalid'. */
export function failedIds(result: unknown): string[] | 'invalid' {
  const failures = (result as SQSBatchResponse | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return 'invalid';
  const ids = failures.map((f) => f?.itemIdentifier);
  return ids.every((id) => typeof id === 'string' && id !== '') ? (ids as string[]) : 'invalid';
}

/** The order ids (or SKUs) of stream records, for a batch's log line. */
export function describeRecords(records: DynamoDBRecord[]): string {
  const ids = records
    .map((r) => r.dynamodb?.NewImage ?? r.dynamodb?.OldImage)
    .map((image) => image?.orderId?.S ?? (image?.sku?.S ? `sku ${image.sku.S}` : undefined))
    .filter(Boolean);
  return ids.length > 0 ? ` (${[...new Set(ids)].join(', ')})` : '';
}

/**
 * The most records one GetRecords returns, which is what Lambda's poller asks for.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html
 */
const MAX_RECORDS_PER_READ = 1000;

/**
 * A DynamoDB stream event source mapping on one shard, as Lambda runs it: the shard polled four
 * times a second, and again at once while a read comes back full; records filtered by the
 * mapping's patterns (non-matching ones are dropped, before batching); batches of up to BatchSize
 * (waiting up to MaximumBatchingWindowInSeconds to fill one), delivered in order. A failed batch
 * is retried (from the first reported failure with ReportBatchItemFailures), split in halves with
 * BisectBatchOnFunctionError, and given up after MaximumRetryAttempts or
 * MaximumRecordAgeInSeconds, when its description goes to the on-failure destination and the
 * shard moves on. A throttled invocation is retried without counting as an attempt.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html ("Lambda polls shards in your
 * DynamoDB stream for records at a base rate of 4 times per second")
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 */
export class StreamEventSourceMapping extends PollingLoop {
  constructor(private readonly options: StreamMappingOptions) {
    super();
  }

  protected async poll() {
    const {
      source,
      batchSize,
      batchingWindowSeconds,
      filters,
      pollIntervalMs = 250,
    } = this.options;
    /** Records read that match the filters and are not delivered yet, in order. */
    const pending: DynamoDBRecord[] = [];
    /** The last record read, matching or not: where the shard is read up to. */
    let readUpTo: string | undefined;
    let windowEnds = 0;
    /** Since when reads have failed (one line when they start failing, one when they are back). */
    let failingSince: number | undefined;
    while (this.running) {
      const polledAt = Date.now();
      let read: DynamoDBRecord[];
      try {
        read = await source.read(MAX_RECORDS_PER_READ);
      } catch (err: unknown) {
        if (failingSince === undefined) {
          failingSince = Date.now();
          this.options.log(
            `${this.options.name}: cannot read the stream: ${(err as Error).message}; retrying every second`,
          );
        }
        await sleep(1000);
        continue;
      }
      if (failingSince !== undefined) {
        const seconds = Math.round((Date.now() - failingSince) / 1000);
        this.options.log(`${this.options.name}: reading the stream again after ${seconds} s`);
        failingSince = undefined;
      }
      const kept = read.filter((r) => matchesAny(r, filters));
      if (pending.length === 0 && kept.length > 0) {
        windowEnds = Date.now() + batchingWindowSeconds * 1000;
      }
      pending.push(...kept);
      readUpTo = read[read.length - 1]?.dynamodb?.SequenceNumber ?? readUpTo;
      // Only filtered-out records: move on.
      if (pending.length === 0 && read.length > 0) await source.checkpoint(readUpTo as string);
      while (pending.length >= batchSize || (pending.length > 0 && Date.now() >= windowEnds)) {
        const batch = pending.splice(0, batchSize);
        // Stopped halfway (a batch still being retried): no checkpoint, the next start redelivers.
        if (!(await this.deliver(batch))) return;
        // Past the records filtered out after the batch too, once nothing read is left.
        const last = batch[batch.length - 1]?.dynamodb?.SequenceNumber as string;
        await source.checkpoint(pending.length === 0 ? (readUpTo as string) : last);
      }
      if (read.length === MAX_RECORDS_PER_READ) continue; // more are waiting
      // A batching window still open ends the wait sooner than the next poll.
      const wakeAt =
        pending.length > 0
          ? Math.min(polledAt + pollIntervalMs, windowEnds)
          : polledAt + pollIntervalMs;
      await sleep(Math.max(0, wakeAt - Date.now()));
    }
  }

  /** Delivers the records until each is done or given up; false if the mapping stopped first. */
  private async deliver(records: DynamoDBRecord[]): Promise<boolean> {
    const { maximumRetryAttempts, bisectOnError, name, log, retryDelayMs } = this.options;
    const pauseBefore = (attempt: number) => retryDelayMs ?? 1000 * 2 ** Math.min(attempt - 1, 5);
    const pending: DynamoDBRecord[][] = [records];
    while (pending.length > 0) {
      let batch = pending.shift() as DynamoDBRecord[];
      for (let attempt = 0; ; ) {
        if (!this.running) return false;
        const outcome = await this.invoke(batch);
        if (outcome.ok && outcome.failedFrom === undefined) {
          log(`${name}: ${batch.length} record(s) done${describeRecords(batch)}`);
          break;
        }
        if (outcome.throttled) {
          log(`${name}: function throttled, retrying the batch in ${pauseBefore(1)} ms`);
          await sleep(pauseBefore(1));
          continue;
        }
        if (!outcome.ok && bisectOnError && batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          pending.unshift(batch.slice(0, half), batch.slice(half));
          log(`${name}: batch of ${batch.length} failed (${outcome.error}), bisecting`);
          break;
        }
        if (outcome.ok && outcome.failedFrom !== undefined) batch = batch.slice(outcome.failedFrom);
        log(
          `${name}: ${batch.length} record(s) failed${describeRecords(batch)}: ${outcome.error ?? 'reported as failed by the function'}`,
        );
        if (attempt >= maximumRetryAttempts || this.tooOld(batch)) {
          await this.giveUp(batch, attempt + 1, outcome.error);
          break;
        }
        attempt++;
        const of =
          maximumRetryAttempts < Number.MAX_SAFE_INTEGER ? ` of ${maximumRetryAttempts}` : '';
        log(`${name}: retry ${attempt}${of} in ${pauseBefore(attempt)} ms`);
        await sleep(pauseBefore(attempt));
      }
    }
    return true;
  }

  private async invoke(batch: DynamoDBRecord[]): Promise<{
    ok: boolean;
    throttled?: boolean;
    failedFrom?: number;
    error?: string;
  }> {
    try {
      const result = await this.options.invoke({ Records: batch });
      if (!this.options.reportBatchItemFailures) return { ok: true };
      const failed = failedIds(result);
      if (failed === 'invalid')
        return { ok: true, failedFrom: 0, error: 'invalid batchItemFailures' };
      const indexes = failed
        .map((id) => batch.findIndex((r) => r.dynamodb?.SequenceNumber === id))
        .filter((i) => i >= 0);
      return indexes.length === 0 ? { ok: true } : { ok: true, failedFrom: Math.min(...indexes) };
    } catch (err: unknown) {
      const { name, message } = err as Error;
      return {
        ok: false,
        throttled: name === 'TooManyRequestsException',
        error: `${name}: ${message}`,
      };
    }
  }

  private tooOld(batch: DynamoDBRecord[]): boolean {
    const oldest = batch[0]?.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000;
    return Date.now() / 1000 - oldest > this.options.maximumRecordAgeSeconds;
  }

  private async giveUp(batch: DynamoDBRecord[], invokeCount: number, error?: string) {
    const { onFailure, name, log, streamArn, functionArn } = this.options;
    const first = batch[0]?.dynamodb;
    const last = batch[batch.length - 1]?.dynamodb;
    log(
      `${name}: gave up on ${batch.length} record(s) after ${invokeCount} attempt(s)${describeRecords(batch)}${onFailure ? ', sent to the on-failure queue' : ''}`,
    );
    if (!onFailure) return;
    // The shape Lambda sends to an on-failure destination for a stream batch.
    const description = {
      requestContext: {
        requestId: randomUUID(),
        functionArn,
        condition: this.tooOld(batch) ? 'RecordAgeExceeded' : 'RetryAttemptsExhausted',
        approximateInvokeCount: invokeCount,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(error ? { functionError: 'Unhandled' } : {}),
      },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: 'shardId-local-00000001',
        startSequenceNumber: first?.SequenceNumber,
        endSequenceNumber: last?.SequenceNumber,
        approximateArrivalOfFirstRecord: new Date(
          (first?.ApproximateCreationDateTime ?? 0) * 1000,
        ).toISOString(),
        approximateArrivalOfLastRecord: new Date(
          (last?.ApproximateCreationDateTime ?? 0) * 1000,
        ).toISOString(),
        batchSize: batch.length,
        streamArn,
      },
    };
    await onFailure.sqs.send(
      new SendMessageCommand({
        QueueUrl: onFailure.queueUrl,
        MessageBody: JSON.stringify(description),
      }),
    );
  }
}

/**
 * Reads a stream's first shard through the DynamoDB Streams API (the local DynamoDB serves it,
 * as DynamoDB Local does), from `startingPosition` or, when `checkpointFile` names a checkpoint
 * written by an earlier run, right after it: records not yet processed when the stack stopped are
 * processed after the restart.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html
 */
export function streamsApiSource(
  client: DynamoDBStreamsClient,
  streamArn: string,
  startingPosition: 'TRIM_HORIZON' | 'LATEST',
  checkpointFile?: string,
): StreamSource {
  let iterator: string | undefined;
  let shardId: string | undefined;

  function savedCheckpoint(): string | undefined {
    if (!checkpointFile) return undefined;
    try {
      const saved = JSON.parse(readFileSync(checkpointFile, 'utf8'));
      return saved.streamArn === streamArn ? saved.sequenceNumber : undefined;
    } catch {
      return undefined;
    }
  }

  async function openIterator() {
    const { StreamDescription } = await client.send(
      new DescribeStreamCommand({ StreamArn: streamArn }),
    );
    shardId = StreamDescription?.Shards?.[0]?.ShardId;
    if (!shardId) return undefined;
    const after = savedCheckpoint();
    const type: ShardIteratorType = after ? 'AFTER_SEQUENCE_NUMBER' : startingPosition;
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: type,
        ...(after ? { SequenceNumber: after } : {}),
      }),
    );
    return ShardIterator;
  }

  return {
    async read(limit) {
      iterator ??= await openIterator();
      if (!iterator) return [];
      const { Records = [], NextShardIterator } = await client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.max(1, limit) }),
      );
      iterator = NextShardIterator;
      return Records.map((record) => toLambdaRecord(record, streamArn));
    },
    // Written off the event loop (a synchronous write and rename held it for about 0.4 ms per
    // batch, the gateway and the workflows waiting), and still awaited before the next batch.
    async checkpoint(sequenceNumber) {
      if (!checkpointFile) return;
      await mkdir(dirname(checkpointFile), { recursive: true });
      await writeFile(
        `${checkpointFile}.tmp`,
        JSON.stringify({ streamArn, shardId, sequenceNumber }),
      );
      await rename(`${checkpointFile}.tmp`, checkpointFile);
    },
  };
}

/**
 * A record as GetRecords returns it, in the shape Lambda puts in a stream event: the stream's ARN
 * added, and the creation time in seconds (the SDK reads it as a Date).
 */
function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const created = record.dynamodb?.ApproximateCreationDateTime as Date | number | undefined;
  return {
    ...(record as unknown as DynamoDBRecord),
    eventSourceARN: streamArn,
    dynamodb: {
      ...(record.dynamodb as DynamoDBRecord['dynamodb']),
      ApproximateCreationDateTime:
        created instanceof Date ? Math.floor(created.getTime() / 1000) : created,
    },
  };
}
