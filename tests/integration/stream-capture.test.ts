import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { localDynamoDbClient } from '../../local/dynamodb';
import { startStreamCapturingProxy } from '../../local/dynamodb-streams';
import { createTestTables } from '../support/fixtures';

describe('stream-capturing DynamoDB proxy', () => {
  it('records INSERT, MODIFY and REMOVE with the images of the view type, in order', async () => {
    const { ordersTable } = await createTestTables();
    const endpoint = process.env.DYNAMODB_ENDPOINT as string;
    const proxy = await startStreamCapturingProxy({
      targetUrl: endpoint,
      client: localDynamoDbClient(endpoint),
      tables: [
        {
          tableName: ordersTable,
          keyNames: ['pk', 'sk'],
          viewType: 'NEW_AND_OLD_IMAGES',
          streamArn: 'arn:stream',
        },
      ],
      region: 'us-east-1',
    });
    try {
      const db = DynamoDBDocumentClient.from(localDynamoDbClient(proxy.url));
      const Key = { pk: 'ORDER#1', sk: 'ORDER' };
      await db.send(
        new PutCommand({ TableName: ordersTable, Item: { ...Key, status: 'PENDING' } }),
      );
      await db.send(
        new UpdateCommand({
          TableName: ordersTable,
          Key,
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': 'SHIPPED' },
        }),
      );
      // A write that changes nothing, and one whose condition fails, leave no record.
      await db.send(
        new PutCommand({ TableName: ordersTable, Item: { ...Key, status: 'SHIPPED' } }),
      );
      await expect(
        db.send(
          new PutCommand({
            TableName: ordersTable,
            Item: { ...Key, status: 'X' },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      ).rejects.toThrow();
      await db.send(new DeleteCommand({ TableName: ordersTable, Key }));

      const records = proxy.changeLog(ordersTable).records;
      expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
      const images = records.map((r) => ({
        old: r.dynamodb?.OldImage && unmarshall(r.dynamodb.OldImage as never).status,
        new: r.dynamodb?.NewImage && unmarshall(r.dynamodb.NewImage as never).status,
      }));
      expect(images).toEqual([
        { old: undefined, new: 'PENDING' },
        { old: 'PENDING', new: 'SHIPPED' },
        { old: 'SHIPPED', new: undefined },
      ]);
      const sequence = records.map((r) => BigInt(r.dynamodb?.SequenceNumber as string));
      expect([...sequence].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequence);
    } finally {
      await proxy.close();
    }
  });
});
