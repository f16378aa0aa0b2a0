import {
  countEvent,
  dynamoDb,
  dynamoInventoryStore,
  dynamoOrderRepository,
  failOrder,
  failOrderInputSchema,
  requireEnv,
  taskHandler,
} from '@orders/shared';

const deps = {
  orders: dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE')),
  inventory: dynamoInventoryStore(dynamoDb(), requireEnv('INVENTORY_TABLE')),
};

/** Workflow failure path: releases any reservation and marks the order FAILED. */
export const handler = taskHandler(failOrderInputSchema, async ({ orderId, error }) => {
  const notification = await failOrder(deps, orderId, error?.Error ?? 'Unknown error');
  countEvent('OrderFailed');
  return notification;
});
