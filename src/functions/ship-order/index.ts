import {
  countEvent,
  requireEnv,
  shipOrder,
  taskHandler,
  workflowTaskInputSchema,
} from '@orders/shared';
import { dynamoDb, dynamoOrderLedger, dynamoOrderRepository } from '@orders/shared/dynamodb';

const tables = { orders: requireEnv('ORDERS_TABLE'), inventory: requireEnv('INVENTORY_TABLE') };
const deps = {
  orders: dynamoOrderRepository(dynamoDb(), tables.orders),
  ledger: dynamoOrderLedger(dynamoDb(), tables),
};

/** Workflow task: commits the reservation and records the shipment. */
export const handler = taskHandler(workflowTaskInputSchema, async ({ orderId }) => {
  const notification = await shipOrder(deps, orderId);
  countEvent('OrderShipped');
  return notification;
});
