import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';
import { FunctionError } from './errors';

export interface EnvironmentConfig {
  /** The function's name (locally, its logical id). */
  functionName: string;
  /** The function's code, as Lambda unpacks it in /var/task (LAMBDA_TASK_ROOT, the cwd). */
  codeDir: string;
  /** The template's Handler: `index.handler` is the export `handler` of index.js. */
  handler: string;
  /**
   * Exactly the environment variables the function sees, nothing of this process's added: the
   * template's, Lambda's own, and NODE_PATH with the layer's nodejs/node_modules.
   */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
}

export interface EnvironmentOptions {
  /** Each line the function writes to stdout or stderr. */
  onLog?: (functionName: string, line: string) => void;
  /** Where V8 keeps compiled code between cold starts; none when absent or empty. */
  compileCacheDir?: string;
  /** The account in the context's invokedFunctionArn. */
  accountId?: string;
  /**
   * How much lower (in nice steps) an environment's process runs than this one: the services
   * this process stands in for (API Gateway, DynamoDB, Step Functions...) answer on AWS at the same
   * speed however busy the functions are, and here they share the cores with them. Default 0.
   */
  nice?: number;
  /**
   * How much lower still it runs until its init is done: on Lambda an environment starts on CPU
   * of its own, here on the cores the warm ones are answering on, which at a lower priority it
   * takes only when they leave it idle. Raising the priority back after init needs CAP_SYS_NICE
   * (root has it): without it, the first environment keeps the lower priority and the next ones
   * start without it. Default 0.
   */
  initNice?: number;
}

/** Whether a lowered priority could be raised again (false once that failed: see initNice). */
let renicing = true;

/**
 * What the fault injection makes an invocation do (see FunctionPool.injectFault): hang until the
 * timeout, end the environment after running, or fail with `InjectedError` before running.
 */
export type InvocationFault = 'timeout' | 'crash' | 'error';

/**
 * Lambda's limit on the Init phase. Beyond it Lambda tries init again within the invocation's
 * timeout; here the slow init goes on for that long, then times out as Lambda's would.
 */
const INIT_LIMIT_MS = 10_000;
const RUNTIME = join(__dirname, 'runtime.cjs');
/** How Lambda (in Go) names the signal that ended a runtime. */
const SIGNAL_NAMES: Record<string, string> = {
  SIGKILL: 'killed',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGTERM: 'terminated',
};

type RapidError = { errorType: string; errorMessage: string; trace: string[] };
type Reply =
  | { type: 'ready'; initMs: number }
  | { type: 'init-error'; error: RapidError }
  | { type: 'result'; requestId: string; result: string }
  | { type: 'error'; requestId: string; error: RapidError };
interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}
/** Why init failed: the runtime reported an error, the process ended, or init took too long. */
type InitFailure = { error: RapidError } | { exit: Exit } | { timedOut: true };

interface Call {
  requestId: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
}

/**
 * One Lambda execution environment: the function's code in its own Node.js process, started
 * with plain `node` (no loader or hooks of this process: no execArgv, no NODE_OPTIONS unless the
 * function's environment has it) and exactly the function's environment variables, its memory as
 * the V8 heap limit, its code directory as the working directory. It runs one invocation at a
 * time, as Lambda does, and ends for good on a timeout, a crash or a failed init: the next
 * invocation gets a new environment.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
 *
 * Why a process, not a worker thread, measured on this 2-core machine with the real
 * CreateOrderFunction bundle and its layer, V8's compile cache on for both
 * (`npx tsx bench/lambda-environments.ts`, three runs):
 * - isolation decides. With ten processes at once, each running two worker threads of which one
 *   runs out of heap, 7 to 10 of the ten processes died whole (`FATAL ERROR: Reached heap
 *   limit`): here that would be the whole local stack and every invocation in flight. With child
 *   processes instead, the other environment and the parent survived 10 times out of 10, as an
 *   environment runs out of memory alone on Lambda. A process also has its own `process.env`,
 *   globals, exit code and signals, and nothing of this process's loader.
 * - threads start somewhat faster: ready after 0.7 s (threads) and 0.8 s (processes) for 20
 *   started at once, 3.6 s and 4.8 s for 100, 7 s and 13 s for 200 (one run: 30 s and 24 s).
 * - threads use somewhat less memory: 13 to 19 MB each (the growth of the process holding them)
 *   against 16 to 27 MB per process (PSS). FunctionPool keeps far fewer than 200 anyway.
 */
export class ExecutionEnvironment {
  /** Init's duration (ms) once the handler is loaded; rejects when init fails. */
  readonly ready: Promise<number>;
  /** The log stream Lambda would name for this environment. */
  readonly logStreamName: string;
  private readonly child: ChildProcess;
  private readonly closed: Promise<void>;
  private settleReady!: { resolve(ms: number): void; reject(failure: InitFailure): void };
  private readonly initTimer: NodeJS.Timeout;
  private call: Call | undefined;
  private ended = false;
  private outOfMemory = false;

  constructor(
    readonly config: EnvironmentConfig,
    private readonly options: EnvironmentOptions = {},
    onEnd: (environment: ExecutionEnvironment) => void = () => {},
  ) {
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    this.logStreamName = `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
    this.ready = new Promise((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    this.ready.catch(() => {}); // reported to the invocation that takes this environment
    this.child = spawn(
      process.execPath,
      [
        `--max-old-space-size=${config.memoryMb}`,
        RUNTIME,
        config.codeDir,
        config.handler,
        options.compileCacheDir ?? '',
      ],
      { cwd: config.codeDir, env: config.environment, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    const pid = this.child.pid;
    if (pid !== undefined && (options.nice || options.initNice)) {
      const warm = Math.min(19, getPriority() + (options.nice ?? 0));
      const starting = renicing ? Math.min(19, warm + (options.initNice ?? 0)) : warm;
      setProcessPriority(pid, starting);
      if (starting !== warm) {
        void this.ready.then(
          () => {
            if (this.alive && !setProcessPriority(pid, warm)) renicing = false;
          },
          () => {},
        );
      }
    }
    this.initTimer = setTimeout(
      () => {
        this.settleReady.reject({ timedOut: true });
        this.kill();
      },
      INIT_LIMIT_MS + config.timeoutSeconds * 1000,
    );
    for (const stream of [this.child.stdout, this.child.stderr]) this.forwardLines(stream);
    this.child.on('message', (reply: Reply) => this.receive(reply));
    this.closed = new Promise((resolve) => {
      let closed = false;
      const end = (exit: Exit) => {
        if (closed) return;
        closed = true;
        this.end(exit);
        onEnd(this);
        resolve();
      };
      this.child.once('close', (code, signal) => end({ code, signal }));
      this.child.once('error', (error) => end({ code: null, signal: null, error }));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once the environment has ended or is being ended. */
  get alive(): boolean {
    return !this.ended;
  }

  get busy(): boolean {
    return this.call !== undefined;
  }

  /**
   * Runs one invocation once init is done; the timeout counts from then, as Lambda's does for
   * an on-demand cold start. If init failed, the invocation fails with init's error.
   * `payload`: the event as JSON text, as Lambda's Invoke API takes it.
   */
  invoke(requestId: string, payload: string, fault?: InvocationFault): Promise<unknown> {
    if (this.call) throw new Error('An environment runs one invocation at a time');
    return new Promise((resolve, reject) => {
      const call: Call = { requestId, resolve, reject };
      this.call = call;
      this.ready.then(
        () => {
          if (this.call !== call) return;
          const deadlineMs = Date.now() + this.config.timeoutSeconds * 1000;
          call.timer = setTimeout(() => this.timeOut(call), deadlineMs - Date.now());
          const message = {
            type: 'invoke',
            requestId,
            event: payload,
            deadlineMs,
            fault,
            context: {
              functionName: this.config.functionName,
              functionVersion: '$LATEST',
              invokedFunctionArn: this.functionArn(),
              memoryLimitInMB: String(this.config.memoryMb),
              logGroupName: `/aws/lambda/${this.config.functionName}`,
              logStreamName: this.logStreamName,
            },
          };
          // Should the process be gone already, its close event reports why.
          this.child.send(message, () => {});
        },
        (failure: InitFailure) =>
          this.settle(call, () => reject(this.initError(requestId, failure))),
      );
    });
  }

  /** Ends the environment (Lambda's shutdown), failing an invocation still in flight. */
  async stop(): Promise<void> {
    this.kill();
    await this.closed;
  }

  private kill() {
    this.ended = true;
    this.child.kill('SIGKILL');
  }

  /** Lambda stops a timed-out invocation by discarding its environment. */
  private timeOut(call: Call) {
    const seconds = this.config.timeoutSeconds.toFixed(2);
    const error = new FunctionError(
      'Sandbox.Timedout',
      `RequestId: ${call.requestId} Error: Task timed out after ${seconds} seconds`,
    );
    this.settle(call, () => call.reject(error));
    this.kill();
  }

  private receive(reply: Reply) {
    const call = this.call;
    if (reply.type === 'ready') {
      clearTimeout(this.initTimer);
      this.settleReady.resolve(reply.initMs);
    } else if (reply.type === 'init-error') {
      this.ended = true;
      this.settleReady.reject({ error: reply.error });
    } else if (call && reply.requestId === call.requestId) {
      if (reply.type === 'result') this.settle(call, () => call.resolve(JSON.parse(reply.result)));
      else this.settle(call, () => call.reject(fromRapid(reply.error)));
    }
  }

  /** The process ended: init, or the invocation in flight, learns why. */
  private end(exit: Exit) {
    this.ended = true;
    clearTimeout(this.initTimer);
    this.settleReady.reject({ exit });
    const call = this.call;
    if (call) this.settle(call, () => call.reject(this.exitError(call.requestId, exit)));
  }

  private settle(call: Call, report: () => void) {
    if (this.call !== call) return;
    clearTimeout(call.timer);
    this.call = undefined;
    report();
  }

  private initError(requestId: string, failure: InitFailure): FunctionError {
    if ('error' in failure) return fromRapid(failure.error);
    if ('exit' in failure) return this.exitError(requestId, failure.exit);
    const seconds = this.config.timeoutSeconds.toFixed(2);
    return new FunctionError(
      'Sandbox.Timedout',
      `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`,
    );
  }

  /** How Lambda reports a runtime process that ended during an invocation. */
  private exitError(requestId: string, { code, signal, error }: Exit): FunctionError {
    const prefix = `RequestId: ${requestId} Error:`;
    if (error) return new FunctionError('Runtime.ExitError', `${prefix} ${error.message}`);
    // Lambda's out-of-memory kill is a SIGKILL; V8 reaching its heap limit aborts instead.
    if (this.outOfMemory) {
      return new FunctionError(
        'Runtime.OutOfMemory',
        `${prefix} Runtime exited with error: signal: killed`,
      );
    }
    const reason =
      code === 0
        ? 'Runtime exited without providing a reason'
        : signal
          ? `Runtime exited with error: signal: ${SIGNAL_NAMES[signal] ?? signal}`
          : `Runtime exited with error: exit status ${code}`;
    return new FunctionError('Runtime.ExitError', `${prefix} ${reason}`);
  }

  private functionArn() {
    const region = this.config.environment.AWS_REGION ?? 'us-east-1';
    const account = this.options.accountId ?? '000000000000';
    return `arn:aws:lambda:${region}:${account}:function:${this.config.functionName}`;
  }

  private forwardLines(stream: NodeJS.ReadableStream | null) {
    if (!stream) return;
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('JavaScript heap out of memory')) this.outOfMemory = true;
        if (line.trim()) this.options.onLog?.(this.config.functionName, line);
      }
    });
  }
}

/** Sets a process's nice value; false if that was not allowed (or the process is gone). */
function setProcessPriority(pid: number, nice: number): boolean {
  try {
    setPriority(pid, nice);
    return true;
  } catch {
    return false;
  }
}

function fromRapid({ errorType, errorMessage, trace }: RapidError) {
  return new FunctionError(errorType, errorMessage, trace);
}
