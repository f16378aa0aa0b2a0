import {
  backorderInputSchema,
  backorderOrder,
  countEvent,
  requireEnv,
  taskHandler,
} from '@orders/shared';
import { dynamoDb, dynamoOrderLedger, dynamoOrderRepository } from '@orders/shared/dynamodb';

const tables = { orders: requireEnv('ORDERS_TABLE'), inventory: requireEnv('INVENTORY_TABLE') };
const deps = {
  orders: dynamoOrderRepository(dynamoDb(), tables.orders),
  ledger: dynamoOrderLedger(dynamoDb(), tables),
};

/**
 * Workflow task: marks the order BACKORDERED and queues it under each of its SKUs, unless stock
 * of a missing SKU arrived meanwhile (StockChangedError: the workflow processes it again).
 */
export const handler = taskHandler(backorderInputSchema, async ({ orderId, missingSkus }) => {
  const notification = await backorderOrder(deps, orderId, missingSkus);
  countEvent('OrderBackordered');
  return notification;
});
