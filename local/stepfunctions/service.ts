import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../net';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution, as DescribeExecution tells it, plus what a redrive needs. */
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
  redriveCount: number;
  redriveDate?: Date;
  /** The state whose failure ended the execution, and its input: where a redrive starts. */
  failedState?: { name: string; input: unknown };
  /** Settles when the current run ends (never rejects). */
  done: Promise<void>;
}

/** A run of the state machine: its events as they happen, and its result. */
export interface Run {
  eventLogs: AsyncIterable<{
    type: string;
    state?: { name: string; input?: unknown };
    /** StateFailed's error and cause. */
    Error?: string;
    Cause?: unknown;
    /** StateRetried's attempt (1 for the first retry). */
    retry?: { attempt: number };
  }>;
  result: Promise<unknown>;
}

/**
 * Starts a run of the state machine for an execution: from its start with its input, or (a
 * redrive) from the state that failed, with that state's input.
 */
export type Runner = (execution: LocalExecution, from?: { state: string; input: unknown }) => Run;

export interface StepFunctionsOptions {
  stateMachineArn: string;
  type?: 'STANDARD' | 'EXPRESS';
  run: Runner;
  /** Called with every state an execution enters, and when it ends. */
  onEvent?: (execution: LocalExecution, event: string) => void;
  port?: number;
  host?: string;
}

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The Step Functions API on localhost (AWS JSON 1.0), for the calls the application and its
 * tests make: StartExecution, DescribeExecution, RedriveExecution and ListExecutions. Point the
 * SDK at it with AWS_ENDPOINT_URL_SFN.
 *
 * As in Step Functions Standard: a name is taken for good; a second start with the same name and
 * input while the first runs returns the first execution, anything else is refused with
 * ExecutionAlreadyExists; a FAILED, TIMED_OUT or ABORTED execution can be redriven, which runs it
 * again from the state that failed, with that state's input, under the same ARN. Express
 * executions are not de-duplicated by name and cannot be described or redriven.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html
 * Where it differs: executions live in memory (a restart loses those in flight; the reconciler
 * starts them again), and the history is the stack's log, not GetExecutionHistory.
 */
export async function startStepFunctions(options: StepFunctionsOptions) {
  const executions = new Map<string, LocalExecution>();
  const type = options.type ?? 'STANDARD';

  function follow(execution: LocalExecution, from?: { state: string; input: unknown }) {
    const run = options.run(execution, from);
    const watched = (async () => {
      try {
        for await (const event of run.eventLogs) {
          if (event.type === 'StateEntered' && event.state) {
            options.onEvent?.(execution, event.state.name);
          }
          if (event.type === 'StateFailed' && event.state) {
            execution.failedState = { name: event.state.name, input: event.state.input };
            const cause = String(event.Cause ?? '');
            options.onEvent?.(
              execution,
              `${event.state.name} failed: ${event.Error}${cause ? `: ${cause.length > 200 ? `${cause.slice(0, 200)}…` : cause}` : ''}`,
            );
          }
          if (event.type === 'StateRetried' && event.state) {
            options.onEvent?.(execution, `${event.state.name} retry ${event.retry?.attempt ?? ''}`);
          }
        }
      } catch {
        // the run's result reports failures
      }
    })();
    execution.done = run.result.then(
      async (output) => {
        await watched;
        Object.assign(execution, {
          status: 'SUCCEEDED',
          stopDate: new Date(),
          output: JSON.stringify(output),
          error: undefined,
          cause: undefined,
          failedState: undefined,
        });
        options.onEvent?.(execution, 'SUCCEEDED');
      },
      async (err: unknown) => {
        await watched;
        const error = err as { name?: string; message?: string };
        const timedOut = error.name === 'States.Timeout' && !execution.failedState;
        Object.assign(execution, {
          status: timedOut ? 'TIMED_OUT' : 'FAILED',
          stopDate: new Date(),
          error: error.name ?? 'Error',
          cause: error.message,
        });
        options.onEvent?.(execution, `${execution.status} (${execution.error})`);
      },
    );
  }

  function start(body: Record<string, unknown>) {
    const stateMachineArn = String(body.stateMachineArn ?? '');
    const name = String(body.name ?? randomUUID());
    const input = String(body.input ?? '{}');
    if (stateMachineArn !== options.stateMachineArn) {
      throw new ApiError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    }
    if (!/^[\w-]{1,80}$/.test(name)) throw new ApiError('InvalidName', `Invalid Name: '${name}'`);
    const base = `${stateMachineArn.replace(':stateMachine:', type === 'EXPRESS' ? ':express:' : ':execution:')}:${name}`;
    const executionArn = type === 'EXPRESS' ? `${base}:${randomUUID()}` : base;
    const existing = executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution: LocalExecution = {
      executionArn,
      stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startDate: new Date(),
      redriveCount: 0,
      done: Promise.resolve(),
    };
    executions.set(executionArn, execution);
    follow(execution);
    return execution;
  }

  function find(body: Record<string, unknown>) {
    const executionArn = String(body.executionArn ?? '');
    if (type === 'EXPRESS') {
      throw new ApiError('InvalidArn', 'This operation is not supported by EXPRESS state machines');
    }
    const execution = executions.get(executionArn);
    if (!execution)
      throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  function redrive(body: Record<string, unknown>) {
    const execution = find(body);
    if (
      execution.status === 'RUNNING' ||
      execution.status === 'SUCCEEDED' ||
      !execution.failedState
    ) {
      throw new ApiError(
        'ExecutionNotRedrivable',
        `Execution is ${execution.status} and cannot be redriven`,
      );
    }
    const { name, input } = execution.failedState;
    Object.assign(execution, {
      status: 'RUNNING',
      redriveCount: execution.redriveCount + 1,
      redriveDate: new Date(),
      stopDate: undefined,
      failedState: undefined,
    });
    options.onEvent?.(execution, `redriven from ${name}`);
    follow(execution, { state: name, input });
    return execution;
  }

  const seconds = (date?: Date) => (date ? date.getTime() / 1000 : undefined);
  function describe(execution: LocalExecution) {
    const { done: _d, failedState: _f, startDate, stopDate, redriveDate, ...rest } = execution;
    const redrivable = execution.status !== 'RUNNING' && execution.status !== 'SUCCEEDED';
    return {
      ...rest,
      startDate: seconds(startDate),
      stopDate: seconds(stopDate),
      redriveDate: seconds(redriveDate),
      redriveStatus: redrivable ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
    };
  }

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution: (body) => {
      const e = start(body);
      return { executionArn: e.executionArn, startDate: seconds(e.startDate) };
    },
    DescribeExecution: (body) => describe(find(body)),
    RedriveExecution: (body) => ({ redriveDate: seconds(redrive(body).redriveDate) }),
    ListExecutions: (body) => ({
      executions: [...executions.values()]
        .filter((e) => !body.statusFilter || e.status === body.statusFilter)
        .map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: seconds(e.startDate),
          stopDate: seconds(e.stopDate),
          redriveCount: e.redriveCount,
        })),
    }),
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const operation = String(req.headers['x-amz-target'] ?? '').replace('AWSStepFunctions.', '');
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const handle = operations[operation];
      if (!handle)
        throw new ApiError('UnknownOperationException', `${operation} is not supported locally`);
      send(res, 200, handle(body));
    } catch (err: unknown) {
      const { code, message } = err as { code?: string; message: string };
      send(res, 400, { __type: code ?? 'InternalFailure', message });
    }
  });
  const url = await listen(
    server,
    options.port ?? 0,
    options.host ?? '127.0.0.1',
    'Step Functions',
  );

  return {
    url,
    executions,
    /** Waits until every execution started so far (and any they start) has ended. */
    async settle(): Promise<void> {
      let running: LocalExecution[];
      do {
        running = [...executions.values()].filter((e) => e.status === 'RUNNING');
        await Promise.all(running.map((e) => e.done));
      } while (running.length > 0);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify(body));
}
