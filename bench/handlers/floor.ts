import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

/**
 * The floor of issue 11: a handler that does one DocumentClient GetCommand and nothing else,
 * built like the functions (CommonJS, minified). Every function's cold start and warm latency is
 * divided by this one's, measured in the same run.
 */
export const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** The order item the event names, read from the orders table. */
export async function getOrderItem(orderId: string) {
  const { Item } = await client.send(
    new GetCommand({
      TableName: process.env.ORDERS_TABLE,
      Key: { pk: `ORDER#${orderId}`, sk: 'ORDER' },
    }),
  );
  return Item ?? null;
}

export const handler = async (event: { orderId: string }) => getOrderItem(event.orderId);
