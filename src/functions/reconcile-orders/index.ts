import { countEvent, instrument, logger, reconcileOrders, requireEnv } from '@orders/shared';
import { dynamoDb, dynamoOrderRepository } from '@orders/shared/dynamodb';
import { stepFunctions, stepFunctionsWorkflow } from '@orders/shared/step-functions';

const deps = {
  orders: dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE')),
  workflow: stepFunctionsWorkflow(
    stepFunctions(),
    requireEnv('STATE_MACHINE_ARN'),
    requireEnv('WORKFLOW_TYPE') === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
  ),
};
const staleAfterSeconds = Number(requireEnv('STALE_AFTER_SECONDS'));

/**
 * Runs on a schedule (EventBridge Scheduler): finds orders whose workflow has stalled and drives
 * each on, counting them in the `OrdersRescued` metric (its alarm says someone should look).
 */
export const handler = instrument(async () => {
  const rescues = await reconcileOrders(deps, { staleAfterSeconds });
  for (const rescue of rescues) logger.warn('Order rescued', { ...rescue });
  if (rescues.length > 0) countEvent('OrdersRescued', rescues.length);
  return { rescued: rescues.length };
});
