import {
  customerIdOf,
  dynamoDb,
  dynamoOrderRepository,
  httpHandler,
  json,
  listCustomerOrders,
  listOrdersQuerySchema,
  parseOrThrow,
  requireEnv,
  toPublicOrder,
} from '@orders/shared';

const orders = dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE'));

/** GET /orders: the caller's orders, newest first, a page at a time. */
export const handler = httpHandler(async (event) => {
  const { limit, cursor } = parseOrThrow(listOrdersQuerySchema, event.queryStringParameters ?? {});
  const page = await listCustomerOrders(orders, customerIdOf(event), limit, cursor);
  return json(200, {
    orders: page.items.map(toPublicOrder),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  });
});
