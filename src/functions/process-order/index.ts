import { processOrder, processOrderInputSchema, requireEnv, taskHandler } from '@orders/shared';
import { dynamoDb, dynamoOrderLedger, dynamoOrderRepository } from '@orders/shared/dynamodb';

const tables = { orders: requireEnv('ORDERS_TABLE'), inventory: requireEnv('INVENTORY_TABLE') };
const deps = {
  orders: dynamoOrderRepository(dynamoDb(), tables.orders),
  ledger: dynamoOrderLedger(dynamoDb(), tables),
};

/**
 * Workflow task: reserves stock for every line of the order, all or nothing, from the snapshot
 * the execution's input carries (one transaction), or from the stored order without one.
 */
export const handler = taskHandler(processOrderInputSchema, ({ orderId, order }) =>
  processOrder(deps, orderId, new Date(), order),
);
