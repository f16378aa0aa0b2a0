import {
  cachedCatalogue,
  countEvent,
  createOrderRequestSchema,
  customerIdOf,
  httpHandler,
  idempotencyKeySchema,
  json,
  parseJsonBody,
  parseOrThrow,
  placeOrder,
  requireEnv,
  toPublicOrder,
} from '@orders/shared';
import { dynamoDb, dynamoInventory, dynamoOrderRepository } from '@orders/shared/dynamodb';

const deps = {
  orders: dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE')),
  // Known SKUs are remembered for a minute: a warm environment accepts an order in one write.
  inventory: cachedCatalogue(dynamoInventory(dynamoDb(), requireEnv('INVENTORY_TABLE'))),
};

/** POST /orders: accepts an order for the caller and answers 202; the workflow does the rest. */
export const handler = httpHandler(async (event) => {
  const customerId = customerIdOf(event);
  const request = parseJsonBody(event, createOrderRequestSchema);
  const rawKey = event.headers['idempotency-key'];
  const idempotencyKey =
    rawKey === undefined
      ? undefined
      : parseOrThrow(idempotencyKeySchema, rawKey, 'Idempotency-Key');

  const { order, created } = await placeOrder(deps, { customerId, request, idempotencyKey });
  if (created) countEvent('OrderCreated');
  return json(202, toPublicOrder(order), { location: `/orders/${order.orderId}` });
});
