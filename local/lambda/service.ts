import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuLoad } from './cpu-load';
import type { EnvironmentOptions } from './environment';
import { ResourceNotFoundException } from './errors';
import {
  AccountConcurrency,
  type FaultKind,
  type FaultOptions,
  type FunctionConfig,
  FunctionPool,
  type FunctionUsage,
  InitSlots,
  type InjectedFault,
} from './pool';

export interface LambdaServiceOptions extends EnvironmentOptions {
  /**
   * Concurrent executions for the whole account, shared by every function without reserved
   * concurrency. Default: Lambda's default quota, 1,000
   * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
   */
  accountConcurrency?: number;
  /**
   * How long an idle environment is kept (s). Lambda keeps them for minutes, undocumented; a
   * laptop wants the memory of a burst back sooner. Default 60.
   */
  idleTimeoutSeconds?: number;
  /**
   * Cold starts that may run at once, across all functions (see FunctionPool for why there is
   * a limit at all). Default: one per CPU core, which served a burst fastest
   * (`npx tsx bench/lambda-environments.ts`).
   */
  maxConcurrentInits?: number;
  /** Where V8 keeps compiled code between cold starts. Default: in the OS temp dir; '' for none. */
  compileCacheDir?: string;
  /**
   * Before a cold start, let an invocation wait a moment for a busy environment to free up
   * (FunctionPool says when and why). Default false: a new environment at once, as Lambda scales.
   */
  waitForBusyEnvironments?: boolean;
  /**
   * Whether every CPU of the machine is in use now, for waitForBusyEnvironments. Default: over
   * 90% busy in the last second, from /proc/stat (never, without one).
   */
  cpuSaturated?: () => boolean;
  /** The service's own lines: cold starts, timeouts and crashes, one line each. */
  log?: (line: string) => void;
}

/** Compiled code kept between cold starts (content-addressed, so safe to share). */
const DEFAULT_COMPILE_CACHE = join(tmpdir(), 'local-lambda-compile-cache');

/**
 * The local stand-in for the Lambda service: the functions, each a pool of execution
 * environments, and the account's concurrency they share. `invoke` is Invoke with
 * InvocationType RequestResponse: it resolves with the function's result, or rejects with a
 * FunctionError (the function failed), a TooManyRequestsException (throttled, nothing ran) or a
 * ResourceNotFoundException.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-invocation.html
 */
export class LambdaService {
  private readonly functions = new Map<string, FunctionPool>();
  private readonly account: AccountConcurrency;
  private readonly initSlots: InitSlots;
  private readonly cpuLoad: CpuLoad | undefined;
  private readonly cpuSaturated: (() => boolean) | undefined;

  constructor(private readonly options: LambdaServiceOptions = {}) {
    this.account = new AccountConcurrency(options.accountConcurrency ?? 1000);
    this.initSlots = new InitSlots(options.maxConcurrentInits ?? availableParallelism());
    if (options.waitForBusyEnvironments && !options.cpuSaturated) {
      const load = new CpuLoad();
      this.cpuLoad = load;
      this.cpuSaturated = () => load.saturated();
    } else this.cpuSaturated = options.cpuSaturated;
  }

  /** Creates a function (CreateFunction, with PutFunctionConcurrency when reserved). */
  createFunction(config: FunctionConfig, overrides: { nice?: number } = {}): FunctionPool {
    if (this.functions.has(config.functionName)) {
      throw new Error(`Function ${config.functionName} already exists`);
    }
    const reserved = config.reservedConcurrency ?? 0;
    if (reserved > this.account.unreserved) {
      throw new Error(
        `${config.functionName}: ReservedConcurrentExecutions ${reserved} exceeds the account's unreserved concurrency (${this.account.unreserved})`,
      );
    }
    this.account.reserved += reserved;
    const pool = new FunctionPool(config, this.account, {
      onLog: this.options.onLog,
      compileCacheDir: this.options.compileCacheDir ?? DEFAULT_COMPILE_CACHE,
      accountId: this.options.accountId,
      idleTimeoutMs: (this.options.idleTimeoutSeconds ?? 60) * 1000,
      initSlots: this.initSlots,
      log: this.options.log,
      waitForBusyEnvironments: this.options.waitForBusyEnvironments,
      cpuSaturated: this.cpuSaturated,
      nice: overrides.nice ?? this.options.nice,
      initNice: this.options.initNice,
    });
    this.functions.set(config.functionName, pool);
    return pool;
  }

  /** The function by name; ResourceNotFoundException if there is none. */
  function(name: string): FunctionPool {
    const pool = this.functions.get(name);
    if (!pool) {
      const account = this.options.accountId ?? '000000000000';
      throw new ResourceNotFoundException(`arn:aws:lambda:us-east-1:${account}:function:${name}`);
    }
    return pool;
  }

  /** Invokes a function and waits for its result (RequestResponse). */
  async invoke(name: string, event: unknown): Promise<unknown> {
    return this.function(name).invoke(event);
  }

  /** Fault injection for reliability tests; see FunctionPool.injectFault. */
  injectFault(name: string, kind: FaultKind, options?: FaultOptions): InjectedFault {
    return this.function(name).injectFault(kind, options);
  }

  /** Usage per function, with its memory size for cost estimates. */
  usage(): Record<string, FunctionUsage & { memoryMb: number }> {
    return Object.fromEntries(
      [...this.functions].map(([name, f]) => [name, { ...f.usage, memoryMb: f.config.memoryMb }]),
    );
  }

  /** Shuts every environment down. */
  async stop(): Promise<void> {
    this.cpuLoad?.stop();
    await Promise.all([...this.functions.values()].map((f) => f.stop()));
  }
}
