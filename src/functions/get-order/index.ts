import {
  customerIdOf,
  getCustomerOrder,
  httpHandler,
  json,
  orderIdSchema,
  parseOrThrow,
  requireEnv,
  toPublicOrder,
} from '@orders/shared';
import { dynamoDb, dynamoOrderRepository } from '@orders/shared/dynamodb';

const orders = dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE'));

/** GET /orders/{orderId}: the order, to its owner only (404 to anyone else). */
export const handler = httpHandler(async (event) => {
  const customerId = customerIdOf(event);
  const orderId = parseOrThrow(orderIdSchema, event.pathParameters?.orderId, 'orderId');
  return json(200, toPublicOrder(await getCustomerOrder(orders, customerId, orderId)));
});
