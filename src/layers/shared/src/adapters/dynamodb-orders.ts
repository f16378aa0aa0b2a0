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

/** `<createdAt>#<orderId>`: the sort key of the byCustomer index, where a page ended. */
const LISTING_POSITION =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const notACursor = () =>
  new ValidationError([{ field: 'cursor', message: 'is not a cursor from your listing' }]);

/**
 * A cursor is `{ customer, after }` (whose listing, and the position of the last order of the
 * page), base64url-encoded JSON. It is checked for shape, types and owner before the start key is
 * rebuilt from it, so no client value reaches DynamoDB as a key the code did not check.
 */
function encodeCursor(customerId: string, key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ customer: customerId, after: key.gsi1sk })).toString(
    'base64url',
  );
}

function startKeyOf(cursor: string, customerId: string) {
  let decoded: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw notACursor();
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw notACursor();
  }
  const { customer, after, ...rest } = (decoded ?? {}) as Record<string, unknown>;
  if (
    customer !== customerId ||
    typeof after !== 'string' ||
    !LISTING_POSITION.test(after) ||
    Object.keys(rest).length > 0
  ) {
    throw notACursor();
  }
  const orderId = after.slice(after.indexOf('#') + 1);
  return { ...orderKey(orderId), gsi1pk: `CUSTOMER#${customerId}`, gsi1sk: after };
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
        nextCursor: LastEvaluatedKey ? encodeCursor(customerId, LastEvaluatedKey) : undefined,
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
