import {
  dynamoDb,
  dynamoInventoryStore,
  dynamoOrderRepository,
  processOrder,
  requireEnv,
  taskHandler,
  workflowTaskInputSchema,
} from '@orders/shared';

const deps = {
  orders: dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE')),
  inventory: dynamoInventoryStore(dynamoDb(), requireEnv('INVENTORY_TABLE')),
};

/** Workflow task: reserves stock for every line of the order, all or nothing. */
export const handler = taskHandler(workflowTaskInputSchema, ({ orderId }) =>
  processOrder(deps, orderId),
);
