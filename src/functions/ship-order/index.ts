import {
  countEvent,
  requireEnv,
  shipOrder,
  taskHandler,
  workflowTaskInputSchema,
} from '@orders/shared';
import { dynamoDb, dynamoOrderLedger } from '@orders/shared/dynamodb';

const tables = { orders: requireEnv('ORDERS_TABLE'), inventory: requireEnv('INVENTORY_TABLE') };
const deps = { ledger: dynamoOrderLedger(dynamoDb(), tables) };

/** Workflow task: commits the reservation and records the shipment, in one conditional update. */
export const handler = taskHandler(workflowTaskInputSchema, async ({ orderId }) => {
  const notification = await shipOrder(deps, orderId);
  countEvent('OrderShipped');
  return notification;
});
