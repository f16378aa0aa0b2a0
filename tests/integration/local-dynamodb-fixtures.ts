import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  CreateTableCommand,
  type CreateTableCommandOutput,
  DynamoDBClient,
  type StreamViewType,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ShardIteratorType,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  type LocalDynamoDb,
  type LocalDynamoDbOptions,
  startLocalDynamoDb,
} from '../../local/dynamodb/local-dynamodb';

/** The local DynamoDB service with the SDK clients an application would use against it. */
export interface LocalDynamoDbFixture {
  service: LocalDynamoDb;
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  streams: DynamoDBStreamsClient;
  /** A client that does not retry, to see each error as the service answered it. */
  once: DynamoDBClient;
}

export function clientConfig(url: string) {
  return {
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

export async function startFixture(
  options: LocalDynamoDbOptions = {},
): Promise<LocalDynamoDbFixture> {
  const service = await startLocalDynamoDb(options);
  const client = new DynamoDBClient(clientConfig(service.url));
  return {
    service,
    client,
    documents: DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    }),
    streams: new DynamoDBStreamsClient(clientConfig(service.url)),
    once: new DynamoDBClient({ ...clientConfig(service.url), maxAttempts: 1 }),
  };
}

export async function stopFixture(fixture: LocalDynamoDbFixture | undefined) {
  if (!fixture) return;
  for (const c of [fixture.client, fixture.streams, fixture.once]) c.destroy();
  await fixture.service.stop();
}

/** A table keyed by `pk` (string), with a stream of the given view type unless `stream` is null. */
export async function createTable(
  client: DynamoDBClient,
  stream: StreamViewType | null = 'NEW_AND_OLD_IMAGES',
  name = `t-${randomUUID().slice(0, 8)}`,
): Promise<CreateTableCommandOutput & { name: string }> {
  const output = await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream } } : {}),
    }),
  );
  return { ...output, name };
}

/** Every record of a stream's shard from an iterator type on, read page by page with the SDK. */
export async function readStream(
  streams: DynamoDBStreamsClient,
  streamArn: string,
  type: ShardIteratorType = 'TRIM_HORIZON',
  sequenceNumber?: string,
): Promise<StreamRecord[]> {
  const { StreamDescription } = await streams.send(
    new DescribeStreamCommand({ StreamArn: streamArn }),
  );
  const shardId = StreamDescription?.Shards?.[0]?.ShardId;
  let { ShardIterator: iterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: streamArn,
      ShardId: shardId,
      ShardIteratorType: type,
      SequenceNumber: sequenceNumber,
    }),
  );
  const records: StreamRecord[] = [];
  while (iterator) {
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
    records.push(...(page.Records ?? []));
    if ((page.Records ?? []).length === 0) break;
    iterator = page.NextShardIterator;
  }
  return records;
}

/** A stream record's images as plain objects. */
export function images(record: StreamRecord) {
  const plain = (image?: Record<string, unknown>) =>
    image ? unmarshall(image as Record<string, AttributeValue>) : undefined;
  return {
    event: record.eventName,
    keys: plain(record.dynamodb?.Keys),
    old: plain(record.dynamodb?.OldImage),
    new: plain(record.dynamodb?.NewImage),
  };
}
