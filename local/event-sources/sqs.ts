import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { failedIds } from './dynamodb-stream';
import { PollingLoop } from './polling-loop';

export interface SqsMappingOptions {
  name: string;
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  batchSize: number;
  /**
   * MaximumBatchingWindowInSeconds: how long to gather messages before invoking with fewer than
   * `batchSize`. Default 0: invoke with what one receive returns. The queue's visibility timeout
   * must outlast it (Lambda asks for six times the function's timeout plus the window), or
   * messages gathered early come back while the batch is still open.
   */
  batchingWindowSeconds?: number;
  reportBatchItemFailures: boolean;
  /** The queue's redrive policy, to say when a failed message goes to the dead-letter queue. */
  maxReceiveCount?: number;
  invoke(event: unknown): Promise<unknown>;
  log(line: string): void;
}

/** How often a batch still open for its batching window polls for more messages (ms). */
const WINDOW_POLL_MS = 250;

/**
 * An SQS event source mapping: long-polls the queue, invokes the function with a batch (with a
 * batching window, once the batch is full or the window is over), and deletes what succeeded.
 * With ReportBatchItemFailures only the reported messages stay; without it, or when the function
 * fails (or is throttled), the whole batch stays. Messages left on the queue come back after the
 * visibility timeout, and the queue's redrive policy moves them to the dead-letter queue after
 * maxReceiveCount receives, as in AWS.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export class SqsEventSourceMapping extends PollingLoop {
  /** SQS requests the mapping made: receives that returned messages, empty ones, deletes. */
  readonly usage = { receives: 0, emptyReceives: 0, deletes: 0 };

  constructor(private readonly options: SqsMappingOptions) {
    super();
  }

  protected async poll() {
    const { sqs, queueUrl, batchSize, batchingWindowSeconds = 0 } = this.options;
    let batch: Message[] = [];
    let windowEnds = 0;
    while (this.running) {
      try {
        const open = batch.length > 0;
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(batchSize - batch.length, 10),
            // Long polling for a batch's first message; then short polls, so the window ends on
            // time (a long poll waits whole seconds).
            WaitTimeSeconds: open ? 0 : 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        if (Messages.length === 0) {
          if (!open) this.usage.emptyReceives++;
        } else {
          this.usage.receives++;
          if (!open) windowEnds = Date.now() + batchingWindowSeconds * 1000;
          batch.push(...Messages);
        }
        if (batch.length > 0 && (batch.length >= batchSize || Date.now() >= windowEnds)) {
          const full = batch;
          batch = [];
          await this.deliver(full);
        } else if (batch.length > 0) {
          await sleep(Math.min(WINDOW_POLL_MS, windowEnds - Date.now()));
        }
      } catch (err: unknown) {
        if (!this.running) return;
        this.options.log(`${this.options.name}: cannot poll the queue: ${(err as Error).message}`);
        await sleep(1000);
      }
    }
  }

  private async deliver(messages: Message[]) {
    const { sqs, queueUrl, queueArn, region, invoke, log, name, maxReceiveCount } = this.options;
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
    let why: string;
    try {
      const result = await invoke({ Records: records });
      const failed = this.options.reportBatchItemFailures ? failedIds(result) : [];
      keep = new Set(failed === 'invalid' ? records.map((r) => r.messageId) : failed);
      why =
        failed === 'invalid'
          ? 'the function answered invalid batchItemFailures'
          : 'reported as failed by the function (its log says why)';
    } catch (err: unknown) {
      const { name: error, message } = err as Error;
      keep = new Set(records.map((r) => r.messageId));
      why = `the function failed: ${error}: ${message}`;
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
    log(`${name}: ${records.length} message(s)${describeMessages(records)}, ${done.length} done`);
    for (const record of records.filter((r) => keep.has(r.messageId))) {
      const receives = Number(record.attributes.ApproximateReceiveCount ?? 1);
      const fate =
        maxReceiveCount !== undefined && receives >= maxReceiveCount
          ? `received ${receives} times: SQS moves it to the dead-letter queue when its visibility timeout ends`
          : `back to the queue (receive ${receives}${maxReceiveCount ? ` of ${maxReceiveCount}` : ''})`;
      log(
        `${name}: message ${record.messageId}${describeMessages([record])} failed, ${why}; ${fate}`,
      );
    }
  }
}

/** What stock arrival messages carry (SKUs), for a batch's log line. */
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
