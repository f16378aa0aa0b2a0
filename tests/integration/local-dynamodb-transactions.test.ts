import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  IdempotentParameterMismatchException,
  PutItemCommand,
  ResourceNotFoundException,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactGetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  createTable,
  type LocalDynamoDbFixture,
  startFixture,
  stopFixture,
} from './local-dynamodb-fixtures';

// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
describe('local DynamoDB: TransactWriteItems and TransactGetItems', () => {
  let ddb: LocalDynamoDbFixture;
  let stock: string;
  let orders: string;

  beforeAll(async () => {
    ddb = await startFixture({ accounting: true });
    stock = (await createTable(ddb.client)).name;
    orders = (await createTable(ddb.client, null)).name;
  });
  afterAll(() => stopFixture(ddb));

  const get = async (table: string, pk: string) =>
    (await ddb.documents.send(new GetCommand({ TableName: table, Key: { pk } }))).Item;
  const put = (table: string, item: Record<string, unknown>) =>
    ddb.documents.send(new PutCommand({ TableName: table, Item: item }));

  /** The error a promise rejects with. */
  async function failure<T extends Error>(promise: Promise<unknown>): Promise<T> {
    try {
      await promise;
    } catch (err: unknown) {
      return err as T;
    }
    throw new Error('expected the call to fail');
  }

  it('applies Put, Update, Delete and ConditionCheck across two tables together', async () => {
    await put(stock, { pk: 'widget', units: 5 });
    await put(stock, { pk: 'old', units: 1 });
    await put(orders, { pk: 'customer', active: true });

    await ddb.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: orders, Item: { pk: 'order-1', sku: 'widget' } } },
          {
            Update: {
              TableName: stock,
              Key: { pk: 'widget' },
              UpdateExpression: 'SET units = units - :n',
              ConditionExpression: 'units >= :n',
              ExpressionAttributeValues: { ':n': 2 },
            },
          },
          { Delete: { TableName: stock, Key: { pk: 'old' } } },
          {
            ConditionCheck: {
              TableName: orders,
              Key: { pk: 'customer' },
              ConditionExpression: 'active = :yes',
              ExpressionAttributeValues: { ':yes': true },
            },
          },
        ],
      }),
    );

    expect(await get(orders, 'order-1')).toEqual({ pk: 'order-1', sku: 'widget' });
    expect(await get(stock, 'widget')).toEqual({ pk: 'widget', units: 3 });
    expect(await get(stock, 'old')).toBeUndefined();
    expect(await get(orders, 'customer')).toEqual({ pk: 'customer', active: true });
  });

  it('writes nothing when one condition fails, and names every action in order', async () => {
    await put(stock, { pk: 'gadget', units: 1 });
    await put(stock, { pk: 'gizmo', units: 0 });

    const err = await failure<TransactionCanceledException>(
      ddb.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: orders, Item: { pk: 'order-2' } } },
            {
              Update: {
                TableName: stock,
                Key: { pk: 'gadget' },
                UpdateExpression: 'SET units = units - :n',
                ConditionExpression: 'units >= :n',
                ExpressionAttributeValues: { ':n': 1 },
              },
            },
            {
              Update: {
                TableName: stock,
                Key: { pk: 'gizmo' },
                UpdateExpression: 'SET units = units - :n',
                ConditionExpression: 'units >= :n',
                ExpressionAttributeValues: { ':n': 1 },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              ConditionCheck: {
                TableName: orders,
                Key: { pk: 'nobody' },
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
          ],
        }),
      ),
    );

    expect(err).toBeInstanceOf(TransactionCanceledException);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, ConditionalCheckFailed, ConditionalCheckFailed]',
    );
    expect(err.CancellationReasons).toEqual([
      { Code: 'None' },
      { Code: 'None' },
      {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        Item: { pk: { S: 'gizmo' }, units: { N: '0' } },
      },
      // No ALL_OLD asked (and no item): no Item.
      { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' },
    ]);
    expect(await get(orders, 'order-2')).toBeUndefined();
    expect(await get(stock, 'gadget')).toEqual({ pk: 'gadget', units: 1 });
  });

  it('cancels with a ValidationError reason when an update does not fit the item', async () => {
    await put(stock, { pk: 'named', units: 'many' });

    const err = await failure<TransactionCanceledException>(
      ddb.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: orders, Item: { pk: 'order-3' } } },
            {
              Update: {
                TableName: stock,
                Key: { pk: 'named' },
                UpdateExpression: 'ADD units :n',
                ExpressionAttributeValues: { ':n': 1 },
              },
            },
          ],
        }),
      ),
    );

    expect(err.CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ValidationError']);
    expect(await get(orders, 'order-3')).toBeUndefined();
  });

  describe('rejects a request that breaks the rules, writing nothing', () => {
    const putOrder = (pk: string): TransactWriteItem => ({
      Put: { TableName: orders, Item: { pk: { S: pk } } },
    });

    it('two actions on one item', async () => {
      const err = await failure<Error>(
        ddb.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              putOrder('dup'),
              { Delete: { TableName: orders, Key: { pk: { S: 'dup' } } } },
            ],
          }),
        ),
      );
      expect(err.name).toBe('ValidationException');
      expect(err.message).toBe(
        'Transaction request cannot include multiple operations on one item',
      );
      expect(await get(orders, 'dup')).toBeUndefined();
    });

    it('more than 100 actions', async () => {
      const items = Array.from({ length: 101 }, (_, i) => putOrder(`many-${i}`));
      const err = await failure<Error>(
        ddb.client.send(new TransactWriteItemsCommand({ TransactItems: items })),
      );
      expect(err.name).toBe('ValidationException');
      expect(err.message).toMatch(
        /at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100/,
      );
      expect(await get(orders, 'many-0')).toBeUndefined();
    });

    it('no actions', async () => {
      const err = await failure<Error>(
        ddb.client.send(new TransactWriteItemsCommand({ TransactItems: [] })),
      );
      expect(err.message).toMatch(/Member must have length greater than or equal to 1/);
    });

    it('an action with two operations', async () => {
      const err = await failure<Error>(
        ddb.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                Put: { TableName: orders, Item: { pk: { S: 'both' } } },
                Delete: { TableName: orders, Key: { pk: { S: 'other' } } },
              },
            ],
          }),
        ),
      );
      expect(err.name).toBe('ValidationException');
      expect(await get(orders, 'both')).toBeUndefined();
    });

    it('a table that does not exist', async () => {
      const err = await failure<Error>(
        ddb.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              putOrder('lost'),
              { Put: { TableName: 'no-such-table', Item: { pk: { S: 'x' } } } },
            ],
          }),
        ),
      );
      expect(err).toBeInstanceOf(ResourceNotFoundException);
      expect(await get(orders, 'lost')).toBeUndefined();
    });

    it('an expression attribute value no expression uses', async () => {
      const err = await failure<Error>(
        ddb.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              putOrder('unused'),
              {
                Update: {
                  TableName: orders,
                  Key: { pk: { S: 'u' } },
                  UpdateExpression: 'SET a = :a',
                  ExpressionAttributeValues: { ':a': { N: '1' }, ':b': { N: '2' } },
                },
              },
            ],
          }),
        ),
      );
      expect(err.name).toBe('ValidationException');
      expect(err.message).toMatch(/unused in expressions: keys: \{:b\}/);
      expect(await get(orders, 'unused')).toBeUndefined();
    });

    it('a key that does not match the schema', async () => {
      const err = await failure<Error>(
        ddb.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [{ Delete: { TableName: orders, Key: { id: { S: 'x' } } } }],
          }),
        ),
      );
      expect(err.message).toBe('The provided key element does not match the schema');
    });
  });

  describe('ClientRequestToken', () => {
    const increment = (token: string, by = 1) =>
      new TransactWriteItemsCommand({
        ClientRequestToken: token,
        ReturnConsumedCapacity: 'TOTAL',
        TransactItems: [
          {
            Update: {
              TableName: stock,
              Key: { pk: { S: `counter-${token}` } },
              UpdateExpression: 'ADD n :by',
              ExpressionAttributeValues: { ':by': { N: String(by) } },
            },
          },
        ],
      });

    it('applies a repeated request once and reports read capacity for the repeat', async () => {
      const first = await ddb.client.send(increment('token-a'));
      const repeat = await ddb.client.send(increment('token-a'));

      expect(await get(stock, 'counter-token-a')).toEqual({ pk: 'counter-token-a', n: 1 });
      expect(first.ConsumedCapacity).toEqual([
        { TableName: stock, CapacityUnits: 2, WriteCapacityUnits: 2 },
      ]);
      expect(repeat.ConsumedCapacity).toEqual([
        { TableName: stock, CapacityUnits: 2, ReadCapacityUnits: 2 },
      ]);
    });

    it('refuses the same token with other items: IdempotentParameterMismatchException', async () => {
      await ddb.client.send(increment('token-b'));
      const err = await failure<Error>(ddb.client.send(increment('token-b', 5)));
      expect(err).toBeInstanceOf(IdempotentParameterMismatchException);
      expect(await get(stock, 'counter-token-b')).toEqual({ pk: 'counter-token-b', n: 1 });
    });

    it('runs a cancelled request again when repeated with its token', async () => {
      const guarded = (token: string) =>
        new TransactWriteItemsCommand({
          ClientRequestToken: token,
          TransactItems: [
            {
              Put: {
                TableName: stock,
                Item: { pk: { S: 'guarded' } },
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
          ],
        });
      await expect(ddb.client.send(guarded('token-c'))).rejects.toThrow(
        TransactionCanceledException,
      );
      await put(stock, { pk: 'guarded', was: 'there' });
      await ddb.client.send(guarded('token-c'));
      expect(await get(stock, 'guarded')).toEqual({ pk: 'guarded' });
    });
  });

  describe('consumed capacity (two underlying reads or writes per item)', () => {
    it('reports 2 write units per item of up to 1 KB, per table, a ConditionCheck included', async () => {
      await put(orders, { pk: 'checked' });
      const { ConsumedCapacity } = await ddb.client.send(
        new TransactWriteItemsCommand({
          ReturnConsumedCapacity: 'INDEXES',
          TransactItems: [
            { Put: { TableName: stock, Item: { pk: { S: 'cap-1' } } } },
            // 1.5 KB: 2 write units, doubled.
            {
              Put: {
                TableName: stock,
                Item: { pk: { S: 'cap-2' }, blob: { S: 'x'.repeat(1500) } },
              },
            },
            {
              ConditionCheck: {
                TableName: orders,
                Key: { pk: { S: 'checked' } },
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
          ],
        }),
      );
      expect(ConsumedCapacity).toEqual([
        {
          TableName: stock,
          CapacityUnits: 6,
          WriteCapacityUnits: 6,
          Table: { CapacityUnits: 6, WriteCapacityUnits: 6 },
        },
        {
          TableName: orders,
          CapacityUnits: 2,
          WriteCapacityUnits: 2,
          Table: { CapacityUnits: 2, WriteCapacityUnits: 2 },
        },
      ]);
    });

    it('counts every request for the benchmark, without adding ConsumedCapacity to answers', async () => {
      const table = (await createTable(ddb.client, null)).name;
      const answer = await ddb.client.send(
        new PutItemCommand({ TableName: table, Item: { pk: { S: 'counted' } } }),
      );
      // A table with a stream too, whose writes the service sends with ReturnValues of its own.
      const streamed = (await createTable(ddb.client)).name;
      const Key = { pk: { S: 'counted' } };
      const answers = [
        await ddb.client.send(new PutItemCommand({ TableName: streamed, Item: Key })),
        await ddb.client.send(
          new UpdateItemCommand({
            TableName: streamed,
            Key,
            UpdateExpression: 'SET n = :n',
            ExpressionAttributeValues: { ':n': { N: '1' } },
          }),
        ),
        await ddb.client.send(new DeleteItemCommand({ TableName: streamed, Key })),
      ];
      await ddb.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { pk: 'a' } } },
            { Put: { TableName: table, Item: { pk: 'b' } } },
          ],
        }),
      );
      await ddb.documents.send(
        new TransactGetCommand({
          TransactItems: [{ Get: { TableName: table, Key: { pk: 'a' } } }],
        }),
      );

      expect(answer.ConsumedCapacity).toBeUndefined();
      for (const a of answers) expect(a).not.toHaveProperty('ConsumedCapacity');
      for (const a of answers) expect(a).not.toHaveProperty('Attributes');
      const usage = await ddb.service.usage();
      expect(usage.tables[table]).toEqual({ writeUnits: 1 + 4, readUnits: 2 });
      expect(usage.tables[streamed]).toEqual({ writeUnits: 3, readUnits: 0 });
    });
  });

  describe('TransactGetItems', () => {
    it('returns the items in request order, an empty entry for a missing one, with projections', async () => {
      await put(stock, { pk: 'read-1', units: 7, note: 'x' });
      await put(orders, { pk: 'read-2', sku: 'read-1' });

      const { Responses, ConsumedCapacity } = await ddb.documents.send(
        new TransactGetCommand({
          ReturnConsumedCapacity: 'TOTAL',
          TransactItems: [
            { Get: { TableName: orders, Key: { pk: 'read-2' } } },
            { Get: { TableName: stock, Key: { pk: 'missing' } } },
            {
              Get: {
                TableName: stock,
                Key: { pk: 'read-1' },
                ProjectionExpression: '#u',
                ExpressionAttributeNames: { '#u': 'units' },
              },
            },
          ],
        }),
      );

      expect(Responses).toEqual([
        { Item: { pk: 'read-2', sku: 'read-1' } },
        {},
        { Item: { units: 7 } },
      ]);
      // 2 read units per item, a missing one included.
      expect(ConsumedCapacity).toEqual([
        { TableName: orders, CapacityUnits: 2, ReadCapacityUnits: 2 },
        { TableName: stock, CapacityUnits: 4, ReadCapacityUnits: 4 },
      ]);
    });

    it('rejects two reads of one item', async () => {
      const err = await failure<Error>(
        ddb.documents.send(
          new TransactGetCommand({
            TransactItems: [
              { Get: { TableName: stock, Key: { pk: 'same' } } },
              { Get: { TableName: stock, Key: { pk: 'same' } } },
            ],
          }),
        ),
      );
      expect(err.name).toBe('ValidationException');
    });
  });

  // dynalite ignores ReturnValuesOnConditionCheckFailure; the service adds it.
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure
  describe('ReturnValuesOnConditionCheckFailure on single writes', () => {
    it('returns the item with PutItem, UpdateItem and DeleteItem when ALL_OLD is asked', async () => {
      await put(orders, { pk: 'kept', status: 'SHIPPED' });
      const condition = {
        ConditionExpression: '#s = :pending',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':pending': 'PENDING' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      };

      const errors = await Promise.all([
        failure<ConditionalCheckFailedException>(
          ddb.documents.send(
            new PutCommand({ TableName: orders, Item: { pk: 'kept' }, ...condition }),
          ),
        ),
        failure<ConditionalCheckFailedException>(
          ddb.client.send(
            new UpdateItemCommand({
              TableName: orders,
              Key: { pk: { S: 'kept' } },
              UpdateExpression: 'SET #s = :pending',
              ConditionExpression: '#s = :pending',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: { ':pending': { S: 'PENDING' } },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        ),
        failure<ConditionalCheckFailedException>(
          ddb.documents.send(
            new DeleteCommand({ TableName: orders, Key: { pk: 'kept' }, ...condition }),
          ),
        ),
      ]);

      for (const err of errors) {
        expect(err).toBeInstanceOf(ConditionalCheckFailedException);
        expect(err.Item).toEqual({ pk: { S: 'kept' }, status: { S: 'SHIPPED' } });
      }
      const { ReturnValuesOnConditionCheckFailure: _, ...withoutOld } = condition;
      const plain = await failure<ConditionalCheckFailedException>(
        ddb.documents.send(
          new PutCommand({ TableName: orders, Item: { pk: 'kept' }, ...withoutOld }),
        ),
      );
      expect(plain.Item).toBeUndefined();
    });
  });
});
