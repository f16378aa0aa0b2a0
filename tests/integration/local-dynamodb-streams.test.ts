import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  PutItemCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  createTable,
  images,
  type LocalDynamoDbFixture,
  readStream,
  startFixture,
  stopFixture,
} from './local-dynamodb-fixtures';

// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB_Streams.html
describe('local DynamoDB: streams and the DynamoDB Streams API', () => {
  let ddb: LocalDynamoDbFixture;

  beforeAll(async () => {
    ddb = await startFixture();
  });
  afterAll(() => stopFixture(ddb));

  it('describes the stream of a table created with a StreamSpecification, and none otherwise', async () => {
    const streamed = await createTable(ddb.client, 'NEW_IMAGE');
    const plain = await createTable(ddb.client, null);

    const arn = streamed.TableDescription?.LatestStreamArn as string;
    expect(arn).toMatch(
      new RegExp(`^arn:aws:dynamodb:us-east-1:\\d{12}:table/${streamed.name}/stream/`),
    );
    const { Table } = await ddb.client.send(new DescribeTableCommand({ TableName: streamed.name }));
    expect(Table?.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: 'NEW_IMAGE',
    });
    expect(Table?.LatestStreamArn).toBe(arn);
    expect(Table?.LatestStreamLabel).toBe(arn.split('/stream/')[1]);
    const described = await ddb.client.send(new DescribeTableCommand({ TableName: plain.name }));
    expect(described.Table?.LatestStreamArn).toBeUndefined();

    const { Streams } = await ddb.streams.send(
      new ListStreamsCommand({ TableName: streamed.name }),
    );
    expect(Streams?.map((s) => s.StreamArn)).toEqual([arn]);
    const { StreamDescription } = await ddb.streams.send(
      new DescribeStreamCommand({ StreamArn: arn }),
    );
    expect(StreamDescription).toMatchObject({
      StreamStatus: 'ENABLED',
      StreamViewType: 'NEW_IMAGE',
      TableName: streamed.name,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
    // One open shard: a starting sequence number and no ending one.
    expect(StreamDescription?.Shards).toHaveLength(1);
    expect(
      StreamDescription?.Shards?.[0]?.SequenceNumberRange?.EndingSequenceNumber,
    ).toBeUndefined();
  });

  it('records INSERT, MODIFY and REMOVE with the view type images, and nothing for writes that change nothing', async () => {
    const table = await createTable(ddb.client, 'NEW_AND_OLD_IMAGES');
    const keysOnly = await createTable(ddb.client, 'KEYS_ONLY');
    const Key = { pk: 'order-1' };
    for (const name of [table.name, keysOnly.name]) {
      await ddb.documents.send(
        new PutCommand({ TableName: name, Item: { ...Key, status: 'PENDING' } }),
      );
      await ddb.documents.send(
        new UpdateCommand({
          TableName: name,
          Key,
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': 'SHIPPED' },
        }),
      );
      // The same image again, and a failed condition: no records.
      await ddb.documents.send(
        new PutCommand({ TableName: name, Item: { ...Key, status: 'SHIPPED' } }),
      );
      await expect(
        ddb.documents.send(
          new PutCommand({
            TableName: name,
            Item: Key,
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      ).rejects.toThrow('The conditional request failed');
      await ddb.documents.send(new DeleteCommand({ TableName: name, Key }));
      await ddb.documents.send(new DeleteCommand({ TableName: name, Key })); // already gone
    }

    const records = await readStream(
      ddb.streams,
      table.TableDescription?.LatestStreamArn as string,
    );
    expect(records.map(images)).toEqual([
      { event: 'INSERT', keys: Key, old: undefined, new: { ...Key, status: 'PENDING' } },
      {
        event: 'MODIFY',
        keys: Key,
        old: { ...Key, status: 'PENDING' },
        new: { ...Key, status: 'SHIPPED' },
      },
      { event: 'REMOVE', keys: Key, old: { ...Key, status: 'SHIPPED' }, new: undefined },
    ]);
    const sequence = records.map((r) => BigInt(r.dynamodb?.SequenceNumber as string));
    expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : 1)));
    for (const r of records) {
      expect(r).toMatchObject({
        eventSource: 'aws:dynamodb',
        eventVersion: '1.1',
        awsRegion: 'us-east-1',
      });
      expect(r.dynamodb?.ApproximateCreationDateTime).toBeInstanceOf(Date);
      expect(r.dynamodb?.SizeBytes).toBeGreaterThan(0);
      expect(r.dynamodb?.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
    }
    const keyRecords = await readStream(
      ddb.streams,
      keysOnly.TableDescription?.LatestStreamArn as string,
    );
    expect(keyRecords.map(images)).toEqual(
      ['INSERT', 'MODIFY', 'REMOVE'].map((event) => ({
        event,
        keys: Key,
        old: undefined,
        new: undefined,
      })),
    );
  });

  // The service asks dynalite for the images on the client's behalf where ReturnValues can carry
  // them; the client's answer stays what it asked for.
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#DDB-UpdateItem-request-ReturnValues
  it('answers every ReturnValues as asked, and records the same images whichever was asked', async () => {
    const table = await createTable(ddb.client, 'NEW_AND_OLD_IMAGES');
    const TableName = table.name;
    const Key = { pk: 'order-rv' };
    const answers: Record<string, unknown> = {};
    for (const asked of [undefined, 'NONE', 'ALL_OLD'] as const) {
      const put = await ddb.documents.send(
        new PutCommand({
          TableName,
          Item: { ...Key, n: 1.5, put: asked ?? '-' },
          ReturnValues: asked,
        }),
      );
      answers[`put ${asked}`] = put.Attributes;
    }
    for (const asked of [
      undefined,
      'NONE',
      'ALL_OLD',
      'UPDATED_OLD',
      'ALL_NEW',
      'UPDATED_NEW',
    ] as const) {
      const update = await ddb.documents.send(
        new UpdateCommand({
          TableName,
          Key,
          UpdateExpression: 'SET n = n + :one',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: asked,
        }),
      );
      answers[`update ${asked}`] = update.Attributes;
    }
    const removed = await ddb.documents.send(
      new DeleteCommand({ TableName, Key, ReturnValues: 'ALL_OLD' }),
    );
    answers.delete = removed.Attributes;
    await ddb.documents.send(new PutCommand({ TableName, Item: { ...Key, n: 0 } }));
    answers['delete NONE'] = (
      await ddb.documents.send(new DeleteCommand({ TableName, Key }))
    ).Attributes;
    await expect(
      ddb.documents.send(new PutCommand({ TableName, Item: Key, ReturnValues: 'ALL_NEW' })),
    ).rejects.toThrow(/ReturnValues/);

    expect(answers).toEqual({
      'put undefined': undefined,
      'put NONE': undefined,
      'put ALL_OLD': { ...Key, n: 1.5, put: 'NONE' },
      'update undefined': undefined,
      'update NONE': undefined,
      'update ALL_OLD': { ...Key, n: 3.5, put: 'ALL_OLD' },
      'update UPDATED_OLD': { n: 4.5 },
      'update ALL_NEW': { ...Key, n: 6.5, put: 'ALL_OLD' },
      'update UPDATED_NEW': { n: 7.5 },
      delete: { ...Key, n: 7.5, put: 'ALL_OLD' },
      'delete NONE': undefined,
    });
    const records = (
      await readStream(ddb.streams, table.TableDescription?.LatestStreamArn as string)
    ).map(images);
    const item = (n: number, put = 'ALL_OLD') => ({ ...Key, n, put });
    expect(records).toEqual([
      { event: 'INSERT', keys: Key, old: undefined, new: item(1.5, '-') },
      { event: 'MODIFY', keys: Key, old: item(1.5, '-'), new: item(1.5, 'NONE') },
      { event: 'MODIFY', keys: Key, old: item(1.5, 'NONE'), new: item(1.5) },
      ...[2.5, 3.5, 4.5, 5.5, 6.5, 7.5].map((n) => ({
        event: 'MODIFY',
        keys: Key,
        old: item(n - 1),
        new: item(n),
      })),
      { event: 'REMOVE', keys: Key, old: item(7.5), new: undefined },
      { event: 'INSERT', keys: Key, old: undefined, new: { ...Key, n: 0 } },
      { event: 'REMOVE', keys: Key, old: { ...Key, n: 0 }, new: undefined },
    ]);
    // Each image is the item as a read returns it.
    await ddb.documents.send(new PutCommand({ TableName, Item: { ...Key, n: 1.5 } }));
    const { Item } = await ddb.documents.send(
      new GetCommand({ TableName, Key, ConsistentRead: true }),
    );
    const last = (
      await readStream(ddb.streams, table.TableDescription?.LatestStreamArn as string)
    ).at(-1);
    expect(images(last as never).new).toEqual(Item);
  });

  // DynamoDB stores numbers normalized ("1.50" is 1.5), and a stream image is the stored item.
  it('records the item as stored, numbers normalized, and nothing for a put of the same item', async () => {
    const table = await createTable(ddb.client, 'NEW_AND_OLD_IMAGES');
    const Item = {
      pk: { S: 'normal' },
      n: { N: '1.50' },
      ns: { NS: ['01', '2.0'] },
      m: { M: { e: { N: '1E2' } } },
    };
    await ddb.client.send(new PutItemCommand({ TableName: table.name, Item }));
    await ddb.client.send(new PutItemCommand({ TableName: table.name, Item }));

    const records = await readStream(
      ddb.streams,
      table.TableDescription?.LatestStreamArn as string,
    );
    expect(records.map((r) => [r.eventName, r.dynamodb?.NewImage])).toEqual([
      [
        'INSERT',
        {
          pk: { S: 'normal' },
          n: { N: '1.5' },
          ns: { NS: ['1', '2'] },
          m: { M: { e: { N: '100' } } },
        },
      ],
    ]);
  });

  // dynalite's limit on a request, whitespace included, whatever the service does with it.
  it('answers 413 to a request over 16 MB on a table with a stream', async () => {
    const table = await createTable(ddb.client, 'NEW_AND_OLD_IMAGES');
    const padding = ' '.repeat(16 * 1024 * 1024);
    const response = await fetch(ddb.service.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.PutItem',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        'x-amz-date': '20200101T000000Z',
      },
      body: `{"TableName":"${table.name}",${padding}"Item":{"pk":{"S":"big"}}}`,
    });
    expect(response.status).toBe(413);
  });

  it('records every changed item of a transaction and of a batch, and nothing of a cancelled transaction', async () => {
    const orders = await createTable(ddb.client);
    const stock = await createTable(ddb.client);
    await ddb.documents.send(
      new PutCommand({ TableName: stock.name, Item: { pk: 'widget', units: 1 } }),
    );
    const reserve = (orderId: string) =>
      ddb.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: orders.name, Item: { pk: orderId, status: 'RESERVED' } } },
            {
              Update: {
                TableName: stock.name,
                Key: { pk: 'widget' },
                UpdateExpression: 'SET units = units - :one',
                ConditionExpression: 'units >= :one',
                ExpressionAttributeValues: { ':one': 1 },
              },
            },
            {
              ConditionCheck: {
                TableName: stock.name,
                Key: { pk: 'widget-price' },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
    await reserve('order-1');
    await expect(reserve('order-2')).rejects.toThrow('Transaction cancelled');
    await ddb.documents.send(
      new BatchWriteCommand({
        RequestItems: {
          [orders.name]: [
            { PutRequest: { Item: { pk: 'order-3' } } },
            { DeleteRequest: { Key: { pk: 'order-1' } } },
          ],
        },
      }),
    );

    const orderRecords = await readStream(
      ddb.streams,
      orders.TableDescription?.LatestStreamArn as string,
    );
    expect(orderRecords.map(images).map((r) => [r.event, r.keys?.pk])).toEqual([
      ['INSERT', 'order-1'],
      ['INSERT', 'order-3'],
      ['REMOVE', 'order-1'],
    ]);
    const stockRecords = await readStream(
      ddb.streams,
      stock.TableDescription?.LatestStreamArn as string,
    );
    expect(stockRecords.map(images).map((r) => [r.event, r.old?.units, r.new?.units])).toEqual([
      ['INSERT', undefined, 1],
      ['MODIFY', 1, 0],
    ]);
  });

  it('reads from LATEST, AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER, a page of Limit records at a time', async () => {
    const table = await createTable(ddb.client, 'KEYS_ONLY');
    const StreamArn = table.TableDescription?.LatestStreamArn as string;
    for (const pk of ['a', 'b', 'c'])
      await ddb.documents.send(new PutCommand({ TableName: table.name, Item: { pk } }));
    const { StreamDescription } = await ddb.streams.send(new DescribeStreamCommand({ StreamArn }));
    const ShardId = StreamDescription?.Shards?.[0]?.ShardId;
    const latest = await ddb.streams.send(
      new GetShardIteratorCommand({ StreamArn, ShardId, ShardIteratorType: 'LATEST' }),
    );
    await ddb.documents.send(new PutCommand({ TableName: table.name, Item: { pk: 'd' } }));

    const fromLatest = await ddb.streams.send(
      new GetRecordsCommand({ ShardIterator: latest.ShardIterator }),
    );
    expect(fromLatest.Records?.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['d']);
    const all = await readStream(ddb.streams, StreamArn);
    const second = all[1]?.dynamodb?.SequenceNumber as string;
    const at = await readStream(ddb.streams, StreamArn, 'AT_SEQUENCE_NUMBER', second);
    const after = await readStream(ddb.streams, StreamArn, 'AFTER_SEQUENCE_NUMBER', second);
    expect(at.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['b', 'c', 'd']);
    expect(after.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['c', 'd']);

    const trim = await ddb.streams.send(
      new GetShardIteratorCommand({ StreamArn, ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const page = await ddb.streams.send(
      new GetRecordsCommand({ ShardIterator: trim.ShardIterator, Limit: 2 }),
    );
    expect(page.Records?.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['a', 'b']);
    const next = await ddb.streams.send(
      new GetRecordsCommand({ ShardIterator: page.NextShardIterator }),
    );
    expect(next.Records?.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['c', 'd']);
    // An open shard always gives a next iterator, even with nothing new.
    const empty = await ddb.streams.send(
      new GetRecordsCommand({ ShardIterator: next.NextShardIterator }),
    );
    expect(empty.Records).toEqual([]);
    expect(empty.NextShardIterator).toBeDefined();
  });

  it('disables the stream when the table is deleted: its shard closes and its records stay readable', async () => {
    const table = await createTable(ddb.client, 'KEYS_ONLY');
    const StreamArn = table.TableDescription?.LatestStreamArn as string;
    await ddb.documents.send(new PutCommand({ TableName: table.name, Item: { pk: 'kept' } }));
    await ddb.client.send(new DeleteTableCommand({ TableName: table.name }));

    const { StreamDescription } = await ddb.streams.send(new DescribeStreamCommand({ StreamArn }));
    expect(StreamDescription?.StreamStatus).toBe('DISABLED');
    expect(StreamDescription?.Shards?.[0]?.SequenceNumberRange?.EndingSequenceNumber).toBeDefined();
    const iterator = await ddb.streams.send(
      new GetShardIteratorCommand({
        StreamArn,
        ShardId: StreamDescription?.Shards?.[0]?.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const last = await ddb.streams.send(
      new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }),
    );
    expect(last.Records).toHaveLength(1);
    expect(last.NextShardIterator).toBeUndefined(); // closed and read to its end
  });

  it('starts a stream with UpdateTable, and records the changes made after it', async () => {
    const table = await createTable(ddb.client, null);
    await ddb.documents.send(new PutCommand({ TableName: table.name, Item: { pk: 'before' } }));
    const { TableDescription } = await ddb.client.send(
      new UpdateTableCommand({
        TableName: table.name,
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' },
      }),
    );
    const arn = TableDescription?.LatestStreamArn as string;
    expect(TableDescription?.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: 'KEYS_ONLY',
    });
    await ddb.documents.send(new PutCommand({ TableName: table.name, Item: { pk: 'after' } }));

    const records = await readStream(ddb.streams, arn);
    expect(records.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['after']);
  });

  it('answers an unknown stream with ResourceNotFoundException', async () => {
    await expect(
      ddb.streams.send(
        new DescribeStreamCommand({
          StreamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/x/stream/y',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('local DynamoDB: persistence with dataDir', () => {
  let dataDir: string;
  let ddb: LocalDynamoDbFixture | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-dynamodb-'));
  });
  afterAll(async () => {
    await stopFixture(ddb);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps tables, stream records and the stream ARN across a restart', async () => {
    ddb = await startFixture({ dataDir });
    const table = await createTable(ddb.client);
    const arn = table.TableDescription?.LatestStreamArn as string;
    for (const pk of ['a', 'b', 'c'])
      await ddb.documents.send(new PutCommand({ TableName: table.name, Item: { pk } }));
    const before = await readStream(ddb.streams, arn);
    const checkpoint = before[1]?.dynamodb?.SequenceNumber as string; // a consumer read up to b
    await stopFixture(ddb);

    ddb = await startFixture({ dataDir });
    const { Table } = await ddb.client.send(new DescribeTableCommand({ TableName: table.name }));
    expect(Table?.LatestStreamArn).toBe(arn);
    expect(
      (await ddb.documents.send(new GetCommand({ TableName: table.name, Key: { pk: 'c' } }))).Item,
    ).toEqual({
      pk: 'c',
    });
    await ddb.documents.send(new PutCommand({ TableName: table.name, Item: { pk: 'd' } }));

    const all = await readStream(ddb.streams, arn);
    expect(all.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['a', 'b', 'c', 'd']);
    expect(all.slice(0, 3).map((r) => r.eventID)).toEqual(before.map((r) => r.eventID));
    const resumed = await readStream(ddb.streams, arn, 'AFTER_SEQUENCE_NUMBER', checkpoint);
    expect(resumed.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['c', 'd']);
    const sequence = all.map((r) => BigInt(r.dynamodb?.SequenceNumber as string));
    expect(sequence).toEqual([...sequence].sort((x, y) => (x < y ? -1 : 1)));
  });

  it('trims records older than 24 hours when it starts', async () => {
    const table = await createTable((ddb as LocalDynamoDbFixture).client, 'KEYS_ONLY');
    const arn = table.TableDescription?.LatestStreamArn as string;
    for (const pk of ['old', 'new'])
      await ddb?.documents.send(new PutCommand({ TableName: table.name, Item: { pk } }));
    const [oldRecord] = await readStream((ddb as LocalDynamoDbFixture).streams, arn);
    await stopFixture(ddb);
    // Age the first record by 25 hours in the stream's file.
    const dir = join(dataDir, 'streams');
    const file = join(
      dir,
      (await readdir(dir)).find((f) => f.startsWith(`${table.name}.`)) as string,
    );
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    const aged = JSON.parse(lines[0] as string);
    aged.dynamodb.ApproximateCreationDateTime -= 25 * 60 * 60;
    await writeFile(file, `${[JSON.stringify(aged), ...lines.slice(1)].join('\n')}\n`);

    ddb = await startFixture({ dataDir });
    const left = await readStream(ddb.streams, arn);
    expect(left.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['new']);
    await expect(
      readStream(ddb.streams, arn, 'AT_SEQUENCE_NUMBER', oldRecord?.dynamodb?.SequenceNumber),
    ).rejects.toMatchObject({ name: 'TrimmedDataAccessException' });
  });
});
