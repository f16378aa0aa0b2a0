import { logger, type Order, requireEnv, startOrderWorkflow } from '@orders/shared';
import { dynamoStreamBatchHandler, newImageOf } from '@orders/shared/batch';
import { stepFunctions, stepFunctionsWorkflow } from '@orders/shared/step-functions';

const workflow = stepFunctionsWorkflow(stepFunctions(), requireEnv('STATE_MACHINE_ARN'));

/**
 * Orders table stream: starts the execution that drives an order, when it is stored (INSERT)
 * and when a restock resumed it (BACKORDERED -> RESERVED, with a new execution name). The event
 * source mapping's filter passes only those records; the check here keeps the function correct
 * without it.
 */
export const handler = dynamoStreamBatchHandler(async (record) => {
  const image = newImageOf(record);
  if (image?.type !== 'ORDER' || typeof image.executionName !== 'string') return;
  if (record.eventName === 'MODIFY' && image.status !== 'RESERVED') return;
  const order = image as unknown as Order;
  await startOrderWorkflow(workflow, order, order.executionName);
  logger.info('Order workflow started', {
    orderId: order.orderId,
    executionName: order.executionName,
  });
});
