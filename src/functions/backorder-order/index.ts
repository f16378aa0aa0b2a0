import {
  backorderInputSchema,
  backorderOrder,
  countEvent,
  dynamoDb,
  dynamoOrderRepository,
  requireEnv,
  taskHandler,
} from '@orders/shared';

const deps = { orders: dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE')) };

/** Workflow task: marks the order BACKORDERED and queues it for the next stock arrival. */
export const handler = taskHandler(backorderInputSchema, async ({ orderId, missingSkus }) => {
  const notification = await backorderOrder(deps, orderId, missingSkus);
  countEvent('OrderBackordered');
  return notification;
});
