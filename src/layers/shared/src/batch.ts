/** `@orders/shared/batch`: handlers for the event sources that deliver batches (SQS, streams). */
export {
  dynamoStreamBatchHandler,
  newImageOf,
  oldImageOf,
  sqsBatchHandler,
} from './runtime/batch';
