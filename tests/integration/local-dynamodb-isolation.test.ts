import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  TransactGetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  createTable,
  images,
  type LocalDynamoDbFixture,
  readStream,
  startFixture,
  stopFixture,
} from './local-dynamodb-fixtures';

// Isolation levels: serializable between transactions and PutItem/UpdateItem/DeleteItem/GetItem,
// and between TransactWriteItems and TransactGetItems.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation
describe('local DynamoDB: isolation of transactions', () => {
  let ddb: LocalDynamoDbFixture;

  beforeAll(async () => {
    ddb = await startFixture();
  });
  afterAll(() => stopFixture(ddb));

  it('50 concurrent transfers never let GetItem or TransactGetItems see a total that is not conserved', async () => {
    const table = (await createTable(ddb.client, null)).name;
    // Every transfer moves units between a and b and bumps both versions: two items at the same
    // version come from the same committed state, whose total is 200.
    await ddb.documents.send(
      new PutCommand({ TableName: table, Item: { pk: 'a', units: 100, v: 0 } }),
    );
    await ddb.documents.send(
      new PutCommand({ TableName: table, Item: { pk: 'b', units: 100, v: 0 } }),
    );
    const transfer = (amount: number) => {
      const [from, to] = amount > 0 ? ['a', 'b'] : ['b', 'a'];
      const units = Math.abs(amount);
      return ddb.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: table,
                Key: { pk: from },
                UpdateExpression: 'SET units = units - :n, v = v + :one',
                ConditionExpression: 'units >= :n',
                ExpressionAttributeValues: { ':n': units, ':one': 1 },
              },
            },
            {
              Update: {
                TableName: table,
                Key: { pk: to },
                UpdateExpression: 'SET units = units + :n, v = v + :one',
                ExpressionAttributeValues: { ':n': units, ':one': 1 },
              },
            },
          ],
        }),
      );
    };
    const violations: string[] = [];
    let running = true;
    let snapshots = 0;
    let serialReads = 0;

    const snapshotReader = async () => {
      while (running) {
        const { Responses = [] } = await ddb.documents.send(
          new TransactGetCommand({
            TransactItems: [
              { Get: { TableName: table, Key: { pk: 'a' } } },
              { Get: { TableName: table, Key: { pk: 'b' } } },
            ],
          }),
        );
        const [a, b] = Responses.map((r) => r.Item as { units: number; v: number });
        snapshots++;
        if (a?.v !== b?.v || (a?.units ?? 0) + (b?.units ?? 0) !== 200)
          violations.push(`TransactGetItems saw ${JSON.stringify({ a, b })}`);
      }
    };
    // One GetItem, then the other: the second item is read later, so (serializable) it cannot
    // be at an older version than the first.
    const serialReader = async (first: string, second: string) => {
      const read = async (pk: string) =>
        (await ddb.documents.send(new GetCommand({ TableName: table, Key: { pk } }))).Item as {
          units: number;
          v: number;
        };
      while (running) {
        const earlier = await read(first);
        const later = await read(second);
        serialReads++;
        if (later.v < earlier.v)
          violations.push(`GetItem saw ${second} at v${later.v} after ${first} at v${earlier.v}`);
        if (later.v === earlier.v && earlier.units + later.units !== 200)
          violations.push(`GetItem saw ${JSON.stringify({ earlier, later })}`);
      }
    };

    const readers = [
      snapshotReader(),
      snapshotReader(),
      ...Array.from({ length: 4 }, () => [serialReader('a', 'b'), serialReader('b', 'a')]).flat(),
    ];
    const amounts = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 1 : -1) * (1 + (i % 30)));
    const outcomes = await Promise.allSettled(amounts.map(transfer));
    running = false;
    await Promise.all(readers);

    const succeeded = outcomes.filter((o) => o.status === 'fulfilled').length;
    for (const o of outcomes)
      if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(TransactionCanceledException);
    expect(violations).toEqual([]);
    expect(snapshots).toBeGreaterThan(0);
    expect(serialReads).toBeGreaterThan(0);
    const [a, b] = await Promise.all(
      ['a', 'b'].map(
        async (pk) =>
          (await ddb.documents.send(new GetCommand({ TableName: table, Key: { pk } }))).Item as {
            units: number;
            v: number;
          },
      ),
    );
    expect((a?.units ?? 0) + (b?.units ?? 0)).toBe(200);
    expect(a?.v).toBe(succeeded);
    expect(b?.v).toBe(succeeded);
  });

  it('GetItem waits for a transaction writing its item: it never sees the transaction half applied', async () => {
    const table = (await createTable(ddb.client, null)).name;
    const keys = Array.from({ length: 100 }, (_, i) => `item-${String(i).padStart(3, '0')}`);
    // 100 items of 30 KB: the transaction takes a while to store them all.
    const write = (v: number) =>
      ddb.documents.send(
        new TransactWriteCommand({
          TransactItems: keys.map((pk) => ({
            Put: { TableName: table, Item: { pk, v, payload: 'x'.repeat(30_000) } },
          })),
        }),
      );
    await write(0);
    const read = async (pk: string) =>
      (
        (await ddb.documents.send(new GetCommand({ TableName: table, Key: { pk } }))).Item as {
          v: number;
        }
      ).v;

    const writing = write(1);
    const seen: Array<[number, number]> = [];
    let done = false;
    void writing.finally(() => {
      done = true;
    });
    while (!done) {
      const first = await read(keys[0] as string);
      const last = await read(keys[99] as string);
      seen.push([first, last]);
    }
    await writing;

    // The first item is stored first: reading it new and then the last one old would show the
    // transaction half applied.
    expect(seen.filter(([first, last]) => last < first)).toEqual([]);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('200 concurrent conditional decrements never go below zero, one stream record per success and item', async () => {
    const counters = await createTable(ddb.client);
    const orders = await createTable(ddb.client);
    await ddb.documents.send(
      new PutCommand({ TableName: counters.name, Item: { pk: 'stock', units: 120 } }),
    );

    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        ddb.documents.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: counters.name,
                  Key: { pk: 'stock' },
                  UpdateExpression: 'SET units = units - :one',
                  ConditionExpression: 'units >= :one',
                  ExpressionAttributeValues: { ':one': 1 },
                },
              },
              { Put: { TableName: orders.name, Item: { pk: `order-${i}` } } },
            ],
          }),
        ),
      ),
    );

    const succeeded = outcomes.filter((o) => o.status === 'fulfilled').length;
    const cancelled = outcomes.filter(
      (o) => o.status === 'rejected' && o.reason instanceof TransactionCanceledException,
    ).length;
    expect(succeeded).toBe(120);
    expect(cancelled).toBe(80);
    const stock = await ddb.documents.send(
      new GetCommand({ TableName: counters.name, Key: { pk: 'stock' } }),
    );
    expect(stock.Item?.units).toBe(0);

    const counterRecords = (
      await readStream(ddb.streams, counters.TableDescription?.LatestStreamArn as string)
    ).map(images);
    const modifies = counterRecords.filter((r) => r.event === 'MODIFY');
    expect(counterRecords).toHaveLength(1 + 120); // the seeding INSERT, then one per success
    // In sequence order, each record takes the counter down by exactly one, from 120 to 0.
    expect(modifies.map((r) => [r.old?.units, r.new?.units])).toEqual(
      Array.from({ length: 120 }, (_, i) => [120 - i, 119 - i]),
    );
    const orderRecords = await readStream(
      ddb.streams,
      orders.TableDescription?.LatestStreamArn as string,
    );
    expect(orderRecords.map((r) => r.eventName)).toEqual(Array(120).fill('INSERT'));
  });
});
