import type { StreamMappingOptions } from '../../local/event-sources/dynamodb-stream';

/**
 * The options of a stream event source mapping that tests leave as they are: one shard's
 * mapping named `test`, batches of up to 10 with no batching window, records up to an hour old,
 * no bisecting, nothing logged.
 */
export const MAPPING_DEFAULTS = {
  name: 'test',
  streamArn: 'arn:stream',
  functionArn: 'arn:function',
  batchSize: 10,
  batchingWindowSeconds: 0,
  maximumRecordAgeSeconds: 3600,
  bisectOnError: false,
  log: () => {},
} satisfies Partial<StreamMappingOptions>;
