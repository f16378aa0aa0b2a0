import { processOrder, requireEnv, taskHandler, workflowTaskInputSchema } from '@orders/shared';
import { dynamoDb, dynamoOrderLedger, dynamoOrderRepository } from '@orders/shared/dynamodb';

const tables = { orders: requireEnv('ORDERS_TABLE'), inventory: requireEnv('INVENTORY_TABLE') };
const deps = {
  orders: dynamoOrderRepository(dynamoDb(), tables.orders),
  ledger: dynamoOrderLedger(dynamoDb(), tables),
};

/** Workflow task: reserves stock for every line of the order, all or nothing. */
export const handler = taskHandler(workflowTaskInputSchema, ({ orderId }) =>
  processOrder(deps, orderId),
);
