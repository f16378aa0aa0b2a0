import {
  dynamoStreamBatchHandler,
  logger,
  newImageOf,
  requireEnv,
  startOrderWorkflow,
  stepFunctions,
  stepFunctionsWorkflow,
} from '@orders/shared';

const workflow = stepFunctionsWorkflow(stepFunctions(), requireEnv('STATE_MACHINE_ARN'));

/**
 * Orders table stream: starts the order workflow for each new order. The event source mapping's
 * filter already passes only order INSERTs; the check here keeps the function correct without it.
 */
export const handler = dynamoStreamBatchHandler(async (record) => {
  const image = newImageOf(record);
  if (record.eventName !== 'INSERT' || image?.type !== 'ORDER') return;
  const orderId = String(image.orderId);
  await startOrderWorkflow(workflow, orderId);
  logger.info('Order workflow started', { orderId });
});
