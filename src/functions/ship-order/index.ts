import {
  countEvent,
  dynamoDb,
  dynamoInventoryStore,
  dynamoOrderRepository,
  requireEnv,
  shipOrder,
  taskHandler,
  workflowTaskInputSchema,
} from '@orders/shared';

const deps = {
  orders: dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE')),
  inventory: dynamoInventoryStore(dynamoDb(), requireEnv('INVENTORY_TABLE')),
};

/** Workflow task: commits the reservation and records the shipment. */
export const handler = taskHandler(workflowTaskInputSchema, async ({ orderId }) => {
  const notification = await shipOrder(deps, orderId);
  countEvent('OrderShipped');
  return notification;
});
