import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Order, OrderStatus } from '../domain/order';
import { TransientError, ValidationError } from '../errors';
import type { OrderRepository, Page } from '../ports';

/**
 * Orders table layout (one table, two item types):
 *
 * | item      | pk                 | sk                      | byCustomer index keys           |
 * |-----------|--------------------|-------------------------|---------------------------------|
 * | order     | `ORDER#<orderId>`  | `ORDER`                 | `CUSTOMER#<id>`, `<createdAt>#<orderId>` |
 * | backorder | `BACKORDER#<sku>`  | `<createdAt>#<orderId>` | (none)                          |
 *
 * Orders are read by id (get) and by customer newest first (the `byCustomer` index). Backorder
 * items list the orders waiting for a SKU, oldest first, for the restock trigger.
 */
export const ORDER_ITEM = 'ORDER';
export const BACKORDER_ITEM = 'BACKORDER';
const CUSTOMER_INDEX = 'byCustomer';

const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });
const backorderKey = (sku: string, order: Order) => ({
  pk: `BACKORDER#${sku}`,
  sk: `${order.createdAt}#${order.orderId}`,
});

function toItem(order: Order) {
  return {
    ...orderKey(order.orderId),
    type: ORDER_ITEM,
    gsi1pk: `CUSTOMER#${order.customerId}`,
    gsi1sk: `${order.createdAt}#${order.orderId}`,
    ...order,
  };
}

function fromItem(item: Record<string, unknown>): Order {
  const { pk: _pk, sk: _sk, type: _type, gsi1pk: _g1, gsi1sk: _g2, ...order } = item;
  return order as unknown as Order;
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string, customerId: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A cursor only continues the caller's own listing.
    if (key && typeof key === 'object' && key.gsi1pk === `CUSTOMER#${customerId}`) return key;
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError([{ field: 'cursor', message: 'is not a cursor from this listing' }]);
}

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
            Item: toItem(order),
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
      return Item ? fromItem(Item) : undefined;
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
          ExclusiveStartKey: cursor ? decodeCursor(cursor, customerId) : undefined,
        }),
      );
      return {
        items: Items.map(fromItem),
        nextCursor: LastEvaluatedKey ? encodeCursor(LastEvaluatedKey) : undefined,
      };
    },

    async transition(orderId, from, to, changes = {}) {
      const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
      const values: Record<string, unknown> = {
        ':to': to,
        ':now': new Date().toISOString(),
        ...Object.fromEntries(from.map((s, i) => [`:from${i}`, s satisfies OrderStatus])),
      };
      const sets = ['#status = :to', '#updatedAt = :now'];
      for (const [name, value] of Object.entries(changes)) {
        names[`#${name}`] = name;
        values[`:${name}`] = value;
        sets.push(`#${name} = :${name}`);
      }
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: orderKey(orderId),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: `#status IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes ? fromItem(Attributes) : undefined;
      } catch (err: unknown) {
        if (err instanceof ConditionalCheckFailedException) return undefined;
        throw err;
      }
    },

    async addBackorders(order, skus) {
      await writeBatch(
        client,
        tableName,
        skus.map((sku) => ({
          PutRequest: {
            Item: { ...backorderKey(sku, order), type: BACKORDER_ITEM, orderId: order.orderId },
          },
        })),
      );
    },

    async removeBackorders(order) {
      await writeBatch(
        client,
        tableName,
        order.items.map(({ sku }) => ({ DeleteRequest: { Key: backorderKey(sku, order) } })),
      );
    },

    async *backorderedFor(sku) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `BACKORDER#${sku}` },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) yield String(item.orderId);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    },
  };
}

type WriteRequest = NonNullable<
  ConstructorParameters<typeof BatchWriteCommand>[0]['RequestItems']
>[string][number];

const MAX_BATCH_ATTEMPTS = 6;

/** BatchWriteItem in chunks of 25, resending unprocessed items until none are left. */
async function writeBatch(
  client: DynamoDBDocumentClient,
  tableName: string,
  requests: WriteRequest[],
): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending: WriteRequest[] | undefined = requests.slice(i, i + 25);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt === MAX_BATCH_ATTEMPTS) {
        throw new TransientError(
          `${pending.length} batch writes unprocessed after ${attempt} tries`,
        );
      }
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const result: BatchWriteCommandOutput = await client.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: pending } }),
      );
      pending = result.UnprocessedItems?.[tableName];
    }
  }
}
