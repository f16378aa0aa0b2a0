import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { localDynamoDbClient } from './dynamodb';
import { ChangeLog } from './dynamodb-streams';

/**
 * With a DynamoDB endpoint that has a real Streams API (DynamoDB Local), reads the table's stream
 * from its latest position into a ChangeLog, the same shape the stream trigger consumes.
 */
export async function readDynamoDbStream(url: string, tableName: string, log: (l: string) => void) {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const streams = new DynamoDBStreamsClient({ endpoint: url, region, credentials });
  const { Table } = await localDynamoDbClient(url).send(
    new DescribeTableCommand({ TableName: tableName }),
  );
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) {
    throw new Error(
      `${tableName} at ${url} has no stream. The given DYNAMODB_ENDPOINT must support DynamoDB Streams (DynamoDB Local does, dynalite does not); unset it to use the embedded DynamoDB.`,
    );
  }
  const changeLog = new ChangeLog();
  let running = true;

  const loop = (async () => {
    const iterators = new Map<string, string | undefined>();
    while (running) {
      try {
        const { StreamDescription } = await streams.send(
          new DescribeStreamCommand({ StreamArn: streamArn }),
        );
        for (const shard of StreamDescription?.Shards ?? []) {
          const id = shard.ShardId as string;
          if (iterators.has(id)) continue;
          const { ShardIterator } = await streams.send(
            new GetShardIteratorCommand({
              StreamArn: streamArn,
              ShardId: id,
              ShardIteratorType: 'LATEST',
            }),
          );
          iterators.set(id, ShardIterator);
        }
        for (const [id, iterator] of iterators) {
          if (!iterator) continue;
          const { Records = [], NextShardIterator } = await streams.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }),
          );
          for (const record of Records) changeLog.append(record as unknown as DynamoDBRecord);
          iterators.set(id, NextShardIterator);
        }
      } catch (err: unknown) {
        log(`stream of ${tableName}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();

  return {
    changeLog,
    async stop() {
      running = false;
      await loop;
    },
  };
}
