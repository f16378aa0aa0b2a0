import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from './net';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface LocalExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  /** Settles when the execution ends (never rejects). */
  done: Promise<void>;
}

/** Runs one execution; resolves with its output or rejects with the error that failed it. */
export type ExecutionRunner = (execution: LocalExecution) => Promise<unknown>;

/**
 * A Step Functions endpoint on localhost that speaks the AWS JSON 1.0 protocol, for the calls the
 * application makes: StartExecution and DescribeExecution. Point the SDK at it with
 * AWS_ENDPOINT_URL_SFN. Names behave as in Step Functions Standard: a name is taken for good; a
 * second start with the same name and input while the first runs returns the first execution,
 * anything else is refused with ExecutionAlreadyExists.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
export async function startStepFunctionsEndpoint(run: ExecutionRunner, port = 0) {
  const executions = new Map<string, LocalExecution>();

  function start(body: Record<string, unknown>) {
    const stateMachineArn = String(body.stateMachineArn ?? '');
    const name = String(body.name ?? crypto.randomUUID());
    const input = String(body.input ?? '{}');
    if (!/^arn:aws:states:[^:]+:\d{12}:stateMachine:.+$/.test(stateMachineArn)) {
      throw awsError('InvalidArn', `Invalid Arn: '${stateMachineArn}'`);
    }
    if (!/^[\w-]{1,80}$/.test(name)) throw awsError('InvalidName', `Invalid Name: '${name}'`);
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw awsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution: LocalExecution = {
      executionArn,
      stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startDate: new Date(),
      done: Promise.resolve(),
    };
    executions.set(executionArn, execution);
    execution.done = run(execution).then(
      (output) => {
        Object.assign(execution, {
          status: 'SUCCEEDED',
          stopDate: new Date(),
          output: JSON.stringify(output),
        });
      },
      (err: unknown) => {
        const error = err as { name?: string; message?: string; cause?: unknown };
        Object.assign(execution, {
          status: 'FAILED',
          stopDate: new Date(),
          error: error.name ?? 'Error',
          cause: error.message,
        });
      },
    );
    return execution;
  }

  function describe(body: Record<string, unknown>) {
    const execution = executions.get(String(body.executionArn ?? ''));
    if (!execution) throw awsError('ExecutionDoesNotExist', 'Execution Does Not Exist');
    const { done: _done, ...rest } = execution;
    return {
      ...rest,
      startDate: rest.startDate.getTime() / 1000,
      stopDate: rest.stopDate ? rest.stopDate.getTime() / 1000 : undefined,
    };
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      let result: unknown;
      if (target === 'AWSStepFunctions.StartExecution') {
        const execution = start(body);
        result = {
          executionArn: execution.executionArn,
          startDate: execution.startDate.getTime() / 1000,
        };
      } else if (target === 'AWSStepFunctions.DescribeExecution') {
        result = describe(body);
      } else {
        throw awsError('UnknownOperationException', `${target} is not supported locally`);
      }
      send(res, 200, result);
    } catch (err: unknown) {
      const { code, message } = err as { code?: string; message: string };
      send(res, 400, { __type: code ?? 'InternalFailure', message });
    }
  });
  const url = await listen(server, port, '127.0.0.1', 'Step Functions endpoint');

  return {
    url,
    executions,
    /** Waits until every execution started so far (and any they start) has ended. */
    async settle(): Promise<void> {
      let pending: LocalExecution[];
      do {
        pending = [...executions.values()].filter((e) => e.status === 'RUNNING');
        await Promise.all(pending.map((e) => e.done));
      } while (pending.length > 0);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function awsError(code: string, message: string) {
  return Object.assign(new Error(message), { code });
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify(body));
}
