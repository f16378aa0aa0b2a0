import { NotFoundError, requireEnv, taskHandler, workflowTaskInputSchema } from '@orders/shared';
import { dynamoDb, dynamoOrderRepository } from '@orders/shared/dynamodb';

const orders = dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE'));
/** Orders of more units than this are not processed without a person looking at them. */
const maxUnits = Number(requireEnv('MAX_UNITS_WITHOUT_REVIEW'));

/**
 * Workflow task (workshop module 3): counts the order's units and says whether to hold it.
 * Reading the order again is safe to retry, like every step of the workflow.
 */
export const handler = taskHandler(workflowTaskInputSchema, async ({ orderId }) => {
  const order = await orders.get(orderId);
  if (!order) throw new NotFoundError(`Order ${orderId} not found`);
  const units = order.items.reduce((sum, line) => sum + line.quantity, 0);
  return { orderId, units, hold: units > maxUnits };
});
