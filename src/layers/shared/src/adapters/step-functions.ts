import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  RedriveExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionStatus, OrderWorkflow } from '../ports';

/**
 * Executions of the order workflow. Names are unique per Standard state machine, so "already
 * exists" means an earlier delivery started it: that is success, not an error. Express workflows
 * cannot be described or redriven (their status is `UNKNOWN` here).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
 */
export function stepFunctionsWorkflow(
  client: SFNClient,
  stateMachineArn: string,
  type: 'STANDARD' | 'EXPRESS' = 'STANDARD',
): OrderWorkflow {
  const executionArn = (name: string) =>
    `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

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

    async status(executionName): Promise<ExecutionStatus> {
      if (type === 'EXPRESS') return 'UNKNOWN';
      try {
        const { status } = await client.send(
          new DescribeExecutionCommand({ executionArn: executionArn(executionName) }),
        );
        return (status ?? 'UNKNOWN') as ExecutionStatus;
      } catch (err: unknown) {
        if (err instanceof ExecutionDoesNotExist) return 'NOT_FOUND';
        throw err;
      }
    },

    async redrive(executionName) {
      if (type === 'EXPRESS') return false;
      try {
        await client.send(
          new RedriveExecutionCommand({ executionArn: executionArn(executionName) }),
        );
        return true;
      } catch (err: unknown) {
        if (err instanceof ExecutionNotRedrivable) return false;
        throw err;
      }
    },
  };
}
