import {
  countEvent,
  createOrderRequestSchema,
  customerIdOf,
  dynamoDb,
  dynamoOrderRepository,
  httpHandler,
  idempotencyKeySchema,
  json,
  parseJsonBody,
  parseOrThrow,
  placeOrder,
  requireEnv,
  toPublicOrder,
} from '@orders/shared';

const orders = dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE'));

/** POST /orders: accepts an order for the caller and answers 202; the workflow does the rest. */
export const handler = httpHandler(async (event) => {
  const customerId = customerIdOf(event);
  const request = parseJsonBody(event, createOrderRequestSchema);
  const rawKey = event.headers['idempotency-key'];
  const idempotencyKey =
    rawKey === undefined
      ? undefined
      : parseOrThrow(idempotencyKeySchema, rawKey, 'Idempotency-Key');

  const { order, created } = await placeOrder(orders, { customerId, request, idempotencyKey });
  if (created) countEvent('OrderCreated');
  return json(202, toPublicOrder(order), { location: `/orders/${order.orderId}` });
});
