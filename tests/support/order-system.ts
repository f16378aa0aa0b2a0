import { basename } from 'node:path';
import type { OrderNotification } from '@orders/shared';
import { startStepFunctionsEndpoint } from '../../local/step-functions-endpoint';
import { loadTemplate } from '../../local/template';
import { localArn, localOrderWorkflow } from '../../local/workflow';
import { createTestTables, lambdaContext, loadHandler, type TestTables } from './fixtures';

// biome-ignore lint/suspicious/noExplicitAny: handlers of every event type share this map.
type AnyHandler = (event: any, context: ReturnType<typeof lambdaContext>) => Promise<any>;

export interface PublishedNotification {
  topicArn: string;
  event: OrderNotification;
  eventType: string;
}

/**
 * The application wired together in this process: the template's tables on the test DynamoDB
 * endpoint, the real handlers, the workflow from statemachine/ run by aws-local-stepfunctions,
 * a local Step Functions endpoint for StartExecution, and a recorder standing in for SNS.
 * Faults can be injected in front of any function to test Retry and Catch.
 */
export async function startOrderSystem() {
  const template = loadTemplate();
  const tables: TestTables = await createTestTables();
  const notifications: PublishedNotification[] = [];
  const invocations: Record<string, number> = {};
  const faults = new Map<string, Error[]>();
  const handlers = new Map<string, AnyHandler>();

  process.env.STATE_MACHINE_ARN = localArn('states', 'OrderWorkflow');

  function handler<H = AnyHandler>(logicalId: string): H {
    let loaded = handlers.get(logicalId);
    if (!loaded) {
      const codeUri = template.Resources[logicalId]?.Properties?.CodeUri;
      if (!codeUri) throw new Error(`No function ${logicalId} in template.yaml`);
      loaded = loadHandler<AnyHandler>(basename(codeUri));
      handlers.set(logicalId, loaded);
    }
    return loaded as H;
  }

  const workflow = localOrderWorkflow(
    {
      async invoke(functionId, payload) {
        invocations[functionId] = (invocations[functionId] ?? 0) + 1;
        const fault = faults.get(functionId)?.shift();
        if (fault) throw fault;
        return handler(functionId)(payload, lambdaContext(functionId));
      },
      async publish(topicArn, message, attributes) {
        notifications.push({
          topicArn,
          event: JSON.parse(message),
          eventType: attributes.eventType?.StringValue ?? '',
        });
      },
    },
    template,
  );

  const sfn = await startStepFunctionsEndpoint(
    (execution) => workflow.run(JSON.parse(execution.input), { retryDelayMs: 0 }).result,
  );
  process.env.AWS_ENDPOINT_URL_SFN = sfn.url;

  return {
    ...tables,
    template,
    workflow,
    sfn,
    notifications,
    invocations,
    handler,
    /** Makes the next calls of a function throw these errors before it runs. */
    injectFaults(functionId: string, ...errors: Error[]) {
      faults.set(functionId, [...(faults.get(functionId) ?? []), ...errors]);
    },
    /** Runs the workflow for an order to its end, as an execution would. */
    runWorkflow(orderId: string) {
      return workflow.run({ orderId }, { retryDelayMs: 0 }).result;
    },
    notificationsFor(orderId: string) {
      return notifications.filter((n) => n.event.orderId === orderId);
    },
    async close() {
      await sfn.settle();
      await sfn.close();
    },
  };
}

export type OrderSystem = Awaited<ReturnType<typeof startOrderSystem>>;
