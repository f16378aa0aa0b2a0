import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface LocalFunctionConfig {
  logicalId: string;
  /** The bundle and its export, from the local build. */
  file: string;
  exportName: string;
  /** Exactly the environment Lambda would give it (template variables plus Lambda's own). */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
}

/** A function error as Lambda reports it: `errorType` becomes the Step Functions error name. */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * A Lambda function run locally: its bundle in a worker thread with its own environment, started
 * on first use (a cold start) and replaced after a timeout, as Lambda replaces the environment.
 * Invocations run concurrently in one environment, where Lambda would start more of them.
 */
export class LocalFunction {
  private worker: Worker | undefined;
  private readonly pending = new Map<string, Pending>();
  /** Invocations and their total duration (ms), for the benchmark's cost estimate. */
  readonly usage = { invocations: 0, durationMs: 0 };

  constructor(
    readonly config: LocalFunctionConfig,
    private readonly onLog: (fn: string, line: string) => void = () => {},
  ) {}

  async invoke(event: unknown): Promise<unknown> {
    const started = performance.now();
    this.usage.invocations++;
    try {
      return await this.run(event);
    } finally {
      this.usage.durationMs += performance.now() - started;
    }
  }

  private run(event: unknown): Promise<unknown> {
    const worker = this.start();
    const id = randomUUID();
    const timeoutMs = this.config.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new FunctionError(
            'Sandbox.Timedout',
            `Task timed out after ${this.config.timeoutSeconds.toFixed(2)} seconds`,
          ),
        );
        void this.stop(); // Lambda discards a timed-out environment
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, event, requestId: id, deadline: Date.now() + timeoutMs });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const { file, exportName, logicalId, environment, memoryMb } = this.config;
    const worker = new Worker(join(__dirname, 'lambda-worker.cjs'), {
      env: environment,
      workerData: { file, exportName, functionName: logicalId, memoryMb, version: '$LATEST' },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) this.onLog(logicalId, line);
      });
    }
    worker.on('message', ({ id, result, error }) => {
      const call = this.pending.get(id);
      if (!call) return;
      this.pending.delete(id);
      clearTimeout(call.timer);
      if (error) call.reject(new FunctionError(error.name, error.message));
      else call.resolve(result);
    });
    worker.on('error', (err) => this.failAll(new FunctionError('Runtime.ExitError', err.message)));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(new FunctionError('Runtime.ExitError', 'The execution environment exited'));
    });
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error) {
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(error);
      this.pending.delete(id);
    }
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
