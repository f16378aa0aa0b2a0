import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBRecord, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { ChangeLog } from './dynamodb-streams';
import { type FilterPattern, matchesAny } from './filter-criteria';

type Invoke = (event: unknown) => Promise<unknown>;
type Log = (line: string) => void;

/** Lambda's answer to a batch: which items failed, if the mapping asked for partial responses. */
function failedIds(result: unknown): string[] | 'invalid' {
  const failures = (result as SQSBatchResponse | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return 'invalid';
  const ids = failures.map((f) => f?.itemIdentifier);
  return ids.every((id) => typeof id === 'string' && id !== '') ? (ids as string[]) : 'invalid';
}

/** An event source mapping's poller: a loop that runs from start() until stop() returns. */
abstract class PollingTrigger {
  protected running = false;
  private loop: Promise<void> | undefined;

  protected abstract poll(): Promise<void>;

  start() {
    this.running = true;
    this.loop = this.poll();
  }

  async stop() {
    this.running = false;
    await this.loop;
  }
}

/**
 * An SQS event source mapping: long-polls the queue, invokes the function with a batch, and
 * deletes what succeeded. With ReportBatchItemFailures only the reported messages stay; without
 * it, or when the function fails, the whole batch stays. Messages left on the queue come back
 * after the visibility timeout, and the queue's redrive policy moves them to the dead-letter
 * queue after maxReceiveCount receives, as in AWS.
 */
export class SqsTrigger extends PollingTrigger {
  /** SQS requests the mapping made: receives that returned messages, empty ones, deletes. */
  readonly usage = { receives: 0, emptyReceives: 0, deletes: 0 };

  constructor(
    private readonly options: {
      name: string;
      sqs: SQSClient;
      queueUrl: string;
      queueArn: string;
      region: string;
      batchSize: number;
      reportBatchItemFailures: boolean;
      invoke: Invoke;
      log: Log;
    },
  ) {
    super();
  }

  protected async poll() {
    const { sqs, queueUrl, batchSize } = this.options;
    while (this.running) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(batchSize, 10),
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        if (Messages.length === 0) this.usage.emptyReceives++;
        else {
          this.usage.receives++;
          await this.deliver(Messages);
        }
      } catch (err: unknown) {
        if (!this.running) return;
        this.options.log(`${this.options.name}: cannot poll the queue: ${(err as Error).message}`);
        await sleep(1000);
      }
    }
  }

  private async deliver(messages: Message[]) {
    const { sqs, queueUrl, queueArn, region, invoke, log, name } = this.options;
    const records: SQSRecord[] = messages.map((m) => ({
      messageId: m.MessageId as string,
      receiptHandle: m.ReceiptHandle as string,
      body: m.Body as string,
      attributes: (m.Attributes ?? {}) as SQSRecord['attributes'],
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
          k,
          {
            stringValue: v.StringValue,
            binaryValue: v.BinaryValue,
            stringListValues: [],
            binaryListValues: [],
            dataType: v.DataType,
          },
        ]),
      ) as never,
      md5OfBody: m.MD5OfBody as string,
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: region,
    }));
    let keep: Set<string>;
    try {
      const result = await invoke({ Records: records });
      const failed = this.options.reportBatchItemFailures ? failedIds(result) : [];
      keep = new Set(failed === 'invalid' ? records.map((r) => r.messageId) : failed);
    } catch (err: unknown) {
      log(`${name}: function failed (${(err as Error).name}), the batch stays on the queue`);
      keep = new Set(records.map((r) => r.messageId));
    }
    const done = records.filter((r) => !keep.has(r.messageId));
    if (done.length > 0) {
      this.usage.deletes++;
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
    log(
      `${name}: ${records.length} message(s)${describeMessages(records)}, ${done.length} done, ${keep.size} back to the queue`,
    );
  }
}

/** What a batch of stock arrivals carries (SKUs), for its log line. */
function describeMessages(records: SQSRecord[]): string {
  const skus = records
    .map((r) => {
      try {
        return (JSON.parse(r.body) as { sku?: unknown }).sku;
      } catch {
        return undefined;
      }
    })
    .filter((sku): sku is string => typeof sku === 'string');
  return skus.length > 0 ? ` (sku ${skus.join(', ')})` : '';
}

/** The order ids in stream records, for the log line of a batch. */
function describeRecords(records: DynamoDBRecord[]): string {
  const ids = records
    .map((r) => (r.dynamodb?.NewImage?.orderId ?? r.dynamodb?.OldImage?.orderId)?.S)
    .filter(Boolean);
  return ids.length > 0 ? ` (order ${ids.join(', ')})` : '';
}

/**
 * A DynamoDB stream event source mapping on one shard: batches of up to BatchSize records
 * (waiting up to MaximumBatchingWindowInSeconds), filtered by the mapping's patterns, delivered
 * in order. A failed batch is retried (from the first reported failure with
 * ReportBatchItemFailures), split in halves with BisectBatchOnFunctionError, and given up after
 * MaximumRetryAttempts or MaximumRecordAgeInSeconds, when its description goes to the on-failure
 * destination queue and the stream moves on.
 */
export class StreamTrigger extends PollingTrigger {
  private position = 0;

  constructor(
    private readonly options: {
      name: string;
      changeLog: ChangeLog;
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
      invoke: Invoke;
      log: Log;
      /** Pause between retries; Lambda backs off, tests want it short. */
      retryDelayMs?: number;
    },
  ) {
    super();
  }

  protected async poll() {
    const { changeLog, batchSize, batchingWindowSeconds, filters } = this.options;
    while (this.running) {
      await changeLog.waitBeyond(this.position, 500);
      if (changeLog.records.length <= this.position) continue;
      if (changeLog.records.length - this.position < batchSize && batchingWindowSeconds > 0) {
        await sleep(batchingWindowSeconds * 1000);
      }
      const batch = changeLog.records.slice(this.position, this.position + batchSize);
      this.position += batch.length;
      const selected = batch.filter((r) => matchesAny(r, filters));
      if (selected.length > 0) await this.deliver(selected);
    }
  }

  private async deliver(records: DynamoDBRecord[]) {
    const { maximumRetryAttempts, bisectOnError, name, log } = this.options;
    const pending: DynamoDBRecord[][] = [records];
    while (pending.length > 0) {
      let batch = pending.shift() as DynamoDBRecord[];
      for (let attempt = 0; ; attempt++) {
        const outcome = await this.invoke(batch);
        if (outcome.ok && outcome.failedFrom === undefined) {
          log(`${name}: ${batch.length} record(s) done${describeRecords(batch)}`);
          break;
        }
        if (!outcome.ok && bisectOnError && batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          pending.unshift(batch.slice(0, half), batch.slice(half));
          log(`${name}: batch of ${batch.length} failed, bisecting`);
          break;
        }
        if (outcome.ok && outcome.failedFrom !== undefined) batch = batch.slice(outcome.failedFrom);
        if (attempt >= maximumRetryAttempts || this.tooOld(batch)) {
          await this.giveUp(batch, attempt + 1, outcome.error);
          break;
        }
        await sleep((this.options.retryDelayMs ?? 1000) * 2 ** Math.min(attempt, 5));
      }
    }
  }

  private async invoke(
    batch: DynamoDBRecord[],
  ): Promise<{ ok: boolean; failedFrom?: number; error?: string }> {
    try {
      const result = await this.options.invoke({ Records: batch });
      if (!this.options.reportBatchItemFailures) return { ok: true };
      const failed = failedIds(result);
      if (failed === 'invalid') return { ok: true, failedFrom: 0 };
      const indexes = failed
        .map((id) => batch.findIndex((r) => r.dynamodb?.SequenceNumber === id))
        .filter((i) => i >= 0);
      return indexes.length === 0 ? { ok: true } : { ok: true, failedFrom: Math.min(...indexes) };
    } catch (err: unknown) {
      return { ok: false, error: (err as Error).name };
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
      `${name}: gave up on ${batch.length} record(s) after ${invokeCount} attempt(s)${describeRecords(batch)}`,
    );
    if (!onFailure) return;
    // The shape Lambda sends to an on-failure destination for a stream batch.
    const description = {
      requestContext: {
        requestId: crypto.randomUUID(),
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
