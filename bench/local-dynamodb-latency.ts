// p50 latency of GetItem and of a 3-item TransactWriteItems through the local DynamoDB service
// (local/dynamodb), against dynalite alone in its worker thread (local/dynamodb.ts), which has no
// transactions: there the same three writes are three sequential UpdateItem calls.
// Run: npx tsx bench/local-dynamodb-latency.ts [calls, default 1000]
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { startDynamoDb } from '../local/dynamodb';
import { startLocalDynamoDb } from '../local/dynamodb/local-dynamodb';

const calls = Number(process.argv[2] ?? 1000);

async function p50(work: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 100; i++) await work(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

async function measure(url: string, transactions: boolean) {
  const client = new DynamoDBClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const TableName = `latency-${Date.now()}`;
  await client.send(
    new CreateTableCommand({
      TableName,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      ...(transactions
        ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }
        : {}),
    }),
  );
  await new Promise((r) => setTimeout(r, 100));
  for (const pk of ['a', 'b', 'c'])
    await client.send(new PutItemCommand({ TableName, Item: { pk: { S: pk }, n: { N: '0' } } }));
  const update = (pk: string) => ({
    TableName,
    Key: { pk: { S: pk } },
    UpdateExpression: 'ADD n :one',
    ExpressionAttributeValues: { ':one': { N: '1' } },
  });
  const get = await p50(() =>
    client.send(new GetItemCommand({ TableName, Key: { pk: { S: 'a' } } })),
  );
  const write = transactions
    ? await p50(() =>
        client.send(
          new TransactWriteItemsCommand({
            TransactItems: ['a', 'b', 'c'].map((pk) => ({ Update: update(pk) })),
          }),
        ),
      )
    : await p50(async () => {
        for (const pk of ['a', 'b', 'c']) await client.send(new UpdateItemCommand(update(pk)));
      });
  client.destroy();
  return { get, write };
}

async function main() {
  delete process.env.DYNAMODB_ENDPOINT;
  const plain = await startDynamoDb({ useContainers: false });
  const direct = await measure(plain.url, false);
  await plain.stop();
  const service = await startLocalDynamoDb();
  const through = await measure(service.url, true);
  await service.stop();
  console.log(`p50 over ${calls} calls (ms)`);
  console.log(`GetItem: dynalite ${direct.get.toFixed(3)}, service ${through.get.toFixed(3)}`);
  console.log(
    `3 writes: dynalite 3 x UpdateItem ${direct.write.toFixed(3)}, service TransactWriteItems (streamed table) ${through.write.toFixed(3)}`,
  );
}

void main();
