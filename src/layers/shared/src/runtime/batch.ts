import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { instrument, logger } from '@orders/shared';
import type {
  Context,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  SQSBatchResponse,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';

/**
 * Handlers for the event sources that deliver batches. Each record is handled on its own and
 * only the failed ones are reported back (`ReportBatchItemFailures`), so one bad record does not
 * send the whole batch round again. Powertools' BatchProcessor does the bookkeeping.
 */
export function sqsBatchHandler(
  handleRecord: (record: SQSRecord) => Promise<void>,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const logged = loggingFailures(handleRecord, (r) => ({ messageId: r.messageId }));
  return instrument((event: SQSEvent, context: Context) =>
    processPartialResponse(event, logged, processor, { context, throwOnFullBatchFailure: false }),
  );
}

export function dynamoStreamBatchHandler(
  handleRecord: (record: DynamoDBRecord) => Promise<void>,
): (event: DynamoDBStreamEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const logged = loggingFailures(handleRecord, (r) => ({
    sequenceNumber: r.dynamodb?.SequenceNumber,
  }));
  return instrument((event: DynamoDBStreamEvent, context: Context) =>
    processPartialResponse(event, logged, processor, { context, throwOnFullBatchFailure: false }),
  );
}

/**
 * Logs why a record failed (the batch answer only names it), then fails it. With
 * `throwOnFullBatchFailure: false` a batch whose every record failed is answered the same way
 * as a partly failed one, each record on its own, instead of one FullBatchFailureError.
 */
function loggingFailures<R>(
  handleRecord: (record: R) => Promise<void>,
  idOf: (record: R) => Record<string, unknown>,
) {
  return async (record: R) => {
    try {
      await handleRecord(record);
    } catch (err: unknown) {
      logger.error('Record failed', { ...idOf(record), error: err as Error });
      throw err;
    }
  };
}

/** The new image of a stream record as a plain object, or undefined if the record has none. */
export function newImageOf(record: DynamoDBRecord): Record<string, unknown> | undefined {
  const image = record.dynamodb?.NewImage;
  return image ? unmarshall(image as Record<string, AttributeValue>) : undefined;
}

/** The old image of a stream record (NEW_AND_OLD_IMAGES streams), or undefined. */
export function oldImageOf(record: DynamoDBRecord): Record<string, unknown> | undefined {
  const image = record.dynamodb?.OldImage;
  return image ? unmarshall(image as Record<string, AttributeValue>) : undefined;
}
