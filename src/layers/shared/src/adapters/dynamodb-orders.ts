import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '@orders/shared';
import type { Order } from '../domain/order';
import type { OrderRepository, Page } from '../ports';
import {
  CUSTOMER_INDEX,
  fromOrderItem,
  IN_FLIGHT_INDEX,
  IN_FLIGHT_PARTITIONS,
  ORDER_ITEM,
  orderKey,
  toOrderItem,
} from './dynamodb-items';

/** `<createdAt>#<orderId>`: the sort key of the byCustomer index, the only thing a cursor holds. */
const LISTING_POSITION =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A cursor is the position of the last order of a page, base64url-encoded. The start key is
 * rebuilt from it and the caller's own id, so a cursor can only ever continue the caller's own
 * listing, and no client value reaches DynamoDB as a key it did not check.
 */
function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(String(key.gsi1sk)).toString('base64url');
}

function startKeyOf(cursor: string, customerId: string) {
  const position = /^[A-Za-z0-9_-]+$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8')
    : '';
  if (!LISTING_POSITION.test(position)) {
    throw new ValidationError([{ field: 'cursor', message: 'is not a cursor from this listing' }]);
  }
  const orderId = position.slice(position.indexOf('#') + 1);
  return { ...orderKey(orderId), gsi1pk: `CUSTOMER#${customerId}`, gsi1sk: position };
}

/** Orders in the Orders table (layout in `dynamodb-items.ts`). */
export function dynamoOrderRepository(
  client: DynamoDBDocumentClient,
  tableName: string,
): OrderRepository {
  return {
    async create(order) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: toOrderItem(order),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (err: unknown) {
        if (err instanceof ConditionalCheckFailedException) return false;
        throw err;
      }
    },

    async get(orderId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: orderKey(orderId), ConsistentRead: true }),
      );
      return Item?.type === ORDER_ITEM ? fromOrderItem(Item) : undefined;
    },

    async listByCustomer(customerId, limit, cursor): Promise<Page<Order>> {
      const { Items = [], LastEvaluatedKey } = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: CUSTOMER_INDEX,
          KeyConditionExpression: 'gsi1pk = :customer',
          ExpressionAttributeValues: { ':customer': `CUSTOMER#${customerId}` },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: cursor === undefined ? undefined : startKeyOf(cursor, customerId),
        }),
      );
      return {
        items: Items.map(fromOrderItem),
        nextCursor: LastEvaluatedKey ? encodeCursor(LastEvaluatedKey) : undefined,
      };
    },

    async inFlightSince(before, limit) {
      const pages = await Promise.all(
        IN_FLIGHT_PARTITIONS.map((partition) =>
          client.send(
            new QueryCommand({
              TableName: tableName,
              IndexName: IN_FLIGHT_INDEX,
              KeyConditionExpression: 'gsi2pk = :partition AND gsi2sk < :before',
              ExpressionAttributeValues: { ':partition': partition, ':before': before },
              Limit: limit,
            }),
          ),
        ),
      );
      return pages
        .flatMap((page) => (page.Items ?? []).map((item) => String(item.gsi2sk)))
        .sort()
        .slice(0, limit)
        .map((position) => position.slice(position.lastIndexOf('#') + 1));
    },

    async recordRescue(seen, executionName, now) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: orderKey(seen.orderId),
            UpdateExpression:
              'SET rescues = :rescues, rescuedAt = :now, executionName = :execution',
            ConditionExpression:
              'attribute_exists(gsi2pk) AND (attribute_not_exists(rescues) OR rescues = :seen)',
            ExpressionAttributeValues: {
              ':rescues': (seen.rescues ?? 0) + 1,
              ':seen': seen.rescues ?? 0,
              ':now': now.toISOString(),
              ':execution': executionName,
            },
          }),
        );
        return true;
      } catch (err: unknown) {
        if (err instanceof ConditionalCheckFailedException) return false;
        throw err;
      }
    },
  };
}
