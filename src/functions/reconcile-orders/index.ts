import {
  countEvent,
  instrument,
  logger,
  type OrderWorkflow,
  reconcileOrders,
  requireEnv,
} from '@orders/shared';
import { dynamoDb, dynamoOrderRepository } from '@orders/shared/dynamodb';
import type * as StepFunctions from '@orders/shared/step-functions';

const stateMachineArn = requireEnv('STATE_MACHINE_ARN');
const workflowType = requireEnv('WORKFLOW_TYPE') === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';

/**
 * Most runs find nothing stalled and never call Step Functions, so its client, which would take
 * a third of this function's cold start, is loaded by the first call that needs it. `require`,
 * not `import()`: Lambda finds the layer through NODE_PATH, which only `require` reads.
 */
let loaded: OrderWorkflow | undefined;
function workflow(): OrderWorkflow {
  if (!loaded) {
    const sfn = require('@orders/shared/step-functions') as typeof StepFunctions;
    loaded = sfn.stepFunctionsWorkflow(sfn.stepFunctions(), stateMachineArn, workflowType);
  }
  return loaded;
}

const deps = {
  orders: dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE')),
  workflow: {
    start: (name, input) => workflow().start(name, input),
    status: (name) => workflow().status(name),
    redrive: (name) => workflow().redrive(name),
  } satisfies OrderWorkflow,
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
