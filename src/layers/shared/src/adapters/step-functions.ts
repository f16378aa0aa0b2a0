import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowStarter } from '../ports';

/**
 * Starts executions of the order workflow. Execution names are unique per state machine, so
 * "already exists" means an earlier delivery started it: that is success, not an error.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
export function stepFunctionsWorkflow(client: SFNClient, stateMachineArn: string): WorkflowStarter {
  return {
    async start(executionName, input) {
      try {
        await client.send(
          new StartExecutionCommand({
            stateMachineArn,
            name: executionName,
            input: JSON.stringify(input),
          }),
        );
      } catch (err: unknown) {
        if (err instanceof ExecutionAlreadyExists) return;
        throw err;
      }
    },
  };
}
