import {
  customerIdOf,
  dynamoDb,
  dynamoOrderRepository,
  getCustomerOrder,
  httpHandler,
  json,
  requireEnv,
  toPublicOrder,
} from '@orders/shared';

const orders = dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE'));

/** GET /orders/{orderId}: the order, to its owner only (404 to anyone else). */
export const handler = httpHandler(async (event) => {
  const order = await getCustomerOrder(
    orders,
    customerIdOf(event),
    event.pathParameters?.orderId ?? '',
  );
  return json(200, toPublicOrder(order));
});
