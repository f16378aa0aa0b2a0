import {
  customerIdOf,
  httpHandler,
  json,
  listCustomerOrders,
  listOrdersQuerySchema,
  parseOrThrow,
  requireEnv,
  toPublicOrder,
} from '@orders/shared';
import { dynamoDb, dynamoOrderRepository } from '@orders/shared/dynamodb';

const orders = dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE'));

/** GET /orders: the caller's orders, newest first, a page at a time. */
export const handler = httpHandler(async (event) => {
  const customerId = customerIdOf(event);
  const query = parseOrThrow(listOrdersQuerySchema, event.queryStringParameters ?? {});
  const page = await listCustomerOrders(orders, customerId, query);
  return json(200, {
    orders: page.items.map(toPublicOrder),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  });
});
