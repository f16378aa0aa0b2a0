import { StateMachine } from 'aws-local-stepfunctions';
import { loadTemplate, type Template, workflowDefinition } from './template';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** What the local workflow needs from its surroundings: Lambda functions and an SNS topic. */
export interface WorkflowHooks {
  /** Invokes the function with this logical id and returns its result (Lambda's Payload). */
  invoke(functionLogicalId: string, payload: unknown): Promise<unknown>;
  /** Publishes to a topic, as the `sns:publish` integration does. */
  publish(
    topicArn: string,
    message: string,
    attributes: Record<string, { DataType: string; StringValue: string }>,
  ): Promise<void>;
}

/** The local ARN of a template resource, as the local stack names it. */
export function localArn(service: 'lambda' | 'sns' | 'sqs' | 'states', logicalId: string): string {
  const resource = {
    lambda: `function:${logicalId}`,
    sns: logicalId,
    sqs: logicalId,
    states: `stateMachine:${logicalId}`,
  }[service];
  return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
}

/** Resolves a DefinitionSubstitutions value (`!GetAtt Fn.Arn` or `!Ref Topic`) to a local ARN. */
function resolveSubstitution(template: Template) {
  return (name: string, value: unknown): string => {
    const ref = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    const logicalId = ref.Ref ?? ref['Fn::GetAtt']?.[0];
    const type = logicalId ? template.Resources[logicalId]?.Type : undefined;
    if (type === 'AWS::Serverless::Function') return localArn('lambda', logicalId as string);
    if (type === 'AWS::SNS::Topic') return localArn('sns', logicalId as string);
    throw new Error(`Cannot resolve DefinitionSubstitution ${name}: ${JSON.stringify(value)}`);
  };
}

type TaskHandler = (input: Record<string, unknown>) => Promise<unknown>;

/**
 * The order workflow from statemachine/, with the template's substitutions, run by
 * aws-local-stepfunctions. Each Lambda task calls the function it names through `hooks.invoke`
 * and returns Lambda's `{ Payload }` shape; each SNS task publishes through `hooks.publish`.
 * Retry and Catch run as written (retry pauses can be shortened for tests).
 */
export function localOrderWorkflow(hooks: WorkflowHooks, template = loadTemplate()) {
  const definition = workflowDefinition(resolveSubstitution(template), template);
  const states = definition.States as Record<string, { Type: string; Resource?: string }>;
  const handlers: Record<string, TaskHandler> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'Task') continue;
    if (state.Resource === 'arn:aws:states:::lambda:invoke') {
      handlers[name] = async (input) => {
        const functionId = String(input.FunctionName).split(':').pop() as string;
        return { StatusCode: 200, Payload: await hooks.invoke(functionId, input.Payload) };
      };
    } else if (state.Resource === 'arn:aws:states:::sns:publish') {
      handlers[name] = async (input) => {
        await hooks.publish(
          String(input.TopicArn),
          String(input.Message),
          (input.MessageAttributes ?? {}) as Record<
            string,
            { DataType: string; StringValue: string }
          >,
        );
        return { MessageId: crypto.randomUUID() };
      };
    } else {
      throw new Error(`Task ${name} uses ${state.Resource}, which the local workflow cannot run`);
    }
  }
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });

  return {
    definition,
    taskStates: Object.keys(handlers),
    /** Runs one execution to its end; rejects with the Fail state's error if it fails. */
    run(input: unknown, options: { retryDelayMs?: number } = {}) {
      const retryIntervalOverrides =
        options.retryDelayMs === undefined
          ? undefined
          : Object.fromEntries(
              Object.keys(handlers).map((n) => [n, options.retryDelayMs as number]),
            );
      const execution = machine.run(input as never, {
        overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
      });
      // The interpreter wraps the failure; Step Functions reports the Fail state's own error.
      const result = execution.result.catch((err: unknown) => {
        throw (err as { cause?: unknown }).cause ?? err;
      });
      return { ...execution, result };
    },
  };
}
