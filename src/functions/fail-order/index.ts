import {
  countEvent,
  failOrder,
  failOrderInputSchema,
  requireEnv,
  taskHandler,
} from '@orders/shared';
import { dynamoDb, dynamoOrderLedger, dynamoOrderRepository } from '@orders/shared/dynamodb';

const tables = { orders: requireEnv('ORDERS_TABLE'), inventory: requireEnv('INVENTORY_TABLE') };
const deps = {
  orders: dynamoOrderRepository(dynamoDb(), tables.orders),
  ledger: dynamoOrderLedger(dynamoDb(), tables),
};

/** Workflow failure path: gives back any stock the order holds and marks it FAILED. */
export const handler = taskHandler(failOrderInputSchema, async ({ orderId, error }) => {
  const notification = await failOrder(deps, orderId, error?.Error ?? 'Unknown error');
  if (notification.type === 'ORDER_FAILED') countEvent('OrderFailed');
  return notification;
});
