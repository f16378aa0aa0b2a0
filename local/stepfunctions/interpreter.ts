import { StateMachine } from 'aws-local-stepfunctions';

/**
 * What the workflow's tasks reach: Lambda functions, SNS and DynamoDB, through the three service
 * integrations the order workflow uses.
 * https://docs.aws.amazon.com/step-functions/latest/dg/integrate-services.html
 */
export interface Integrations {
  /** `lambda:invoke`: the function's result (Lambda's Payload), or its error. */
  invoke(functionArn: string, payload: unknown): Promise<unknown>;
  /** `sns:publish` with the state's Parameters (TopicArn, Message, MessageAttributes). */
  publish(parameters: Record<string, unknown>): Promise<{ MessageId: string }>;
  /** `dynamodb:updateItem` with the state's Parameters (DynamoDB's own JSON, AttributeValues). */
  updateItem(parameters: Record<string, unknown>): Promise<unknown>;
}

/**
 * An error a service integration reports, named as Step Functions names it to Retry and Catch:
 * `<Service>.<ExceptionName>` for AWS service errors (`DynamoDB.ConditionalCheckFailedException`),
 * the function's own `errorType` for a Lambda function error.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** AWS SDK service names as Step Functions prefixes their errors. */
function serviceError(service: string, err: unknown): TaskError {
  const { name, message } = err as { name?: string; message?: string };
  return new TaskError(`${service}.${name ?? 'UnknownError'}`, message ?? '');
}

type Definition = { StartAt: string; States: Record<string, { Type: string; Resource?: string }> };

export interface RunOptions {
  /** Start at this state instead of StartAt (a redrive starts where the execution failed). */
  startAt?: string;
  /** A fixed pause before every retry (ms), instead of the definition's backoff. */
  retryDelayMs?: number;
  /** The context object's Execution fields. */
  execution?: { Id: string; Name: string; StartTime: string };
}

/**
 * Runs a state machine definition with aws-local-stepfunctions, its tasks calling `integrations`.
 * Retry, Catch, TimeoutSeconds, Choice and the intrinsic functions run as the library implements
 * the Amazon States Language.
 *
 * The definition is validated once, here, as CreateStateMachine validates it (asl-validator, with
 * its ARN and path checks): an invalid one throws before the stack starts, never at an execution.
 * Executions then run a machine built once per starting state, without validating again: the
 * library's validation compiles the ASL JSON schema every time, which cost about 70 ms of CPU
 * per execution and was 80% of the stack's main thread under load (bench/results/latest.md).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html
 */
export function stateMachineRunner(definition: Definition, integrations: Integrations) {
  const validated = new StateMachine(definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const machines = new Map([[definition.StartAt, validated]]);
  /** The machine that starts at `startAt` (a redrive starts at the state that failed). */
  const machineFrom = (startAt: string) => {
    let machine = machines.get(startAt);
    if (!machine) {
      if (!(startAt in definition.States)) {
        throw new Error(`The state machine has no state ${startAt} to start from`);
      }
      machine = new StateMachine({ ...definition, StartAt: startAt } as never, {
        validationOptions: { noValidate: true },
      });
      machines.set(startAt, machine);
    }
    return machine;
  };
  const handlers: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    switch (state.Resource) {
      case 'arn:aws:states:::lambda:invoke':
        handlers[name] = async (input) => ({
          StatusCode: 200,
          Payload: await integrations.invoke(String(input.FunctionName), input.Payload),
        });
        break;
      case 'arn:aws:states:::sns:publish':
        handlers[name] = (input) =>
          integrations.publish(input).catch((err: unknown) => {
            throw serviceError('SNS', err);
          });
        break;
      case 'arn:aws:states:::dynamodb:updateItem':
        handlers[name] = (input) =>
          integrations.updateItem(input).catch((err: unknown) => {
            throw serviceError('DynamoDB', err);
          });
        break;
      default:
        throw new Error(`Task ${name} uses ${state.Resource}, which the local workflow cannot run`);
    }
  }

  return {
    taskStates: Object.keys(handlers),
    /** Starts a run; `result` settles with its output or the error that failed it. */
    run(input: unknown, options: RunOptions = {}) {
      const machine = machineFrom(options.startAt ?? definition.StartAt);
      const retryIntervalOverrides =
        options.retryDelayMs === undefined
          ? undefined
          : Object.fromEntries(
              Object.keys(handlers).map((n) => [n, options.retryDelayMs as number]),
            );
      const execution = machine.run(input as never, {
        overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
        context: options.execution
          ? ({ Execution: { Input: input, ...options.execution } } as never)
          : undefined,
      });
      // The interpreter wraps a failure; Step Functions reports the failing state's own error.
      const result = execution.result.catch((err: unknown) => {
        throw (err as { cause?: unknown }).cause ?? err;
      });
      return { eventLogs: execution.eventLogs, abort: () => execution.abort(), result };
    },
  };
}
