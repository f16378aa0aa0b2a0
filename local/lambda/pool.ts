import { randomUUID } from 'node:crypto';
import {
  type EnvironmentConfig,
  type EnvironmentOptions,
  ExecutionEnvironment,
  type InvocationFault,
} from './environment';
import { FunctionError, TooManyRequestsException } from './errors';

export interface FunctionConfig extends EnvironmentConfig {
  /**
   * The template's ReservedConcurrentExecutions: the function's own limit, set aside from the
   * account's. Without it, the function shares the account's unreserved concurrency.
   */
  reservedConcurrency?: number;
}

export interface PoolOptions extends EnvironmentOptions {
  /** How long an idle environment is kept before it is shut down (ms). */
  idleTimeoutMs?: number;
  /** Cold starts allowed to run at once, across the functions that share it. */
  initSlots?: InitSlots;
  /** The service's own lines: cold starts, timeouts and crashes. */
  log?: (line: string) => void;
}

/** What the fault injection does to an invocation (see `injectFault`). */
export type FaultKind = InvocationFault | 'throttle';

/** The next `count` invocations, or every invocation for `seconds`; neither: until cleared. */
export interface FaultOptions {
  count?: number;
  seconds?: number;
}

/** Figures for the benchmark's cost estimate and scaling report. */
export interface FunctionUsage {
  /** Invocations run (throttled ones are not: Lambda counts those apart). */
  invocations: number;
  /** Their total duration as the caller saw it, cold starts included (ms). */
  durationMs: number;
  coldStarts: number;
  /** Environments alive at once, at most. */
  peakEnvironments: number;
  throttles: number;
}

/** The account's concurrency: functions without reserved concurrency share what is left. */
export class AccountConcurrency {
  /** Set aside by functions with reserved concurrency. */
  reserved = 0;
  /** Invocations in flight of the functions that share the unreserved pool. */
  inUse = 0;

  constructor(readonly limit: number) {}

  get unreserved(): number {
    return this.limit - this.reserved;
  }
}

/** A limit on the cold starts that run at once, shared by every function of the service. */
export class InitSlots {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(readonly limit: number) {}

  /** Resolves when a cold start may run; call `release` once it is done. */
  acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.running--;
  }
}

interface Waiter {
  resolve(environment: ExecutionEnvironment): void;
  reject(error: Error): void;
}

interface Fault {
  kind: FaultKind;
  remaining?: number;
  until?: number;
}

/**
 * One function's execution environments, scaled as Lambda scales them: an invocation takes an
 * idle environment, the most recently used first, or starts a new one (a cold start) when all
 * are busy, up to the function's reserved concurrency or else the account's unreserved
 * concurrency; beyond that it is throttled. Idle environments are shut down after
 * `idleTimeoutMs`, so the memory of a burst comes back.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
 *
 * Where it differs from Lambda, because here every environment shares this machine's few cores
 * where each has its own on Lambda: at most `initSlots` cold starts run at once, and an
 * invocation waiting for a cold start takes whichever environment is free first, the new one or
 * one that finished meanwhile. Measured on 2 cores with the real CreateOrderFunction bundle
 * (`npx tsx bench/lambda-environments.ts`): a new environment costs 130 to 190 ms of CPU for its
 * init and first invocation, so 200 concurrent invocations with a cold start each, all at once,
 * took 15 to 18 s, and with the function's 10 s timeout many timed out (their first invocations
 * ran while the other environments were still starting); with 4 cold starts at a time they took
 * 5 s, with 2 at a time 2.6 s, served by 21 to 24 environments.
 */
export class FunctionPool {
  readonly usage: FunctionUsage = {
    invocations: 0,
    durationMs: 0,
    coldStarts: 0,
    peakEnvironments: 0,
    throttles: 0,
  };
  private readonly live = new Set<ExecutionEnvironment>();
  /** Idle environments, the most recently used last. */
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly idleTimers = new Map<ExecutionEnvironment, NodeJS.Timeout>();
  /** Invocations waiting for an environment, first come first served. */
  private readonly waiters: Waiter[] = [];
  /** Cold starts asked for and not yet done (waiting for a slot, or initialising). */
  private starting = 0;
  private inFlight = 0;
  private faults: Fault[] = [];
  private readonly initSlots: InitSlots;
  private stopped = false;

  constructor(
    readonly config: FunctionConfig,
    private readonly account: AccountConcurrency,
    private readonly options: PoolOptions = {},
  ) {
    this.initSlots = options.initSlots ?? new InitSlots(Number.POSITIVE_INFINITY);
  }

  /** Invokes the function synchronously (RequestResponse) and returns its result. */
  async invoke(event: unknown): Promise<unknown> {
    if (this.stopped) throw new Error(`${this.config.functionName}: the service has stopped`);
    const fault = this.nextFault();
    if (fault === 'throttle') this.throttle();
    this.acquire();
    const started = performance.now();
    this.usage.invocations++;
    let environment: ExecutionEnvironment | undefined;
    try {
      environment = this.takeIdle() ?? (await this.coldStart());
      return await environment.invoke(randomUUID(), event, fault);
    } catch (err: unknown) {
      if (err instanceof FunctionError && /^(Sandbox|Runtime)\./.test(err.errorType)) {
        this.options.log?.(
          `${this.config.functionName}: ${err.errorType}: ${err.message.split('\n')[0]}`,
        );
      }
      throw err;
    } finally {
      this.release();
      this.usage.durationMs += performance.now() - started;
      if (environment?.alive) this.offer(environment);
    }
  }

  /**
   * Makes invocations fail as in production, for reliability tests: `timeout` hangs until the
   * function's timeout (Sandbox.Timedout), `crash` runs the handler and then ends the
   * environment before it answers (Runtime.ExitError: the work may be done, the caller does not
   * know), `throttle` refuses the invocation as beyond the concurrency limit. Faults apply in
   * the order they were injected.
   */
  injectFault(kind: FaultKind, options: FaultOptions = {}): { clear(): void } {
    const fault: Fault = {
      kind,
      remaining: options.count,
      until: options.seconds === undefined ? undefined : Date.now() + options.seconds * 1000,
    };
    this.faults.push(fault);
    return { clear: () => (this.faults = this.faults.filter((f) => f !== fault)) };
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The environments alive now. */
  environments(): Array<{ pid: number | undefined; busy: boolean }> {
    return [...this.live].map((e) => ({ pid: e.pid, busy: e.busy }));
  }

  /** Shuts every environment down; invocations still waiting for one fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.faults = [];
    for (const waiter of this.waiters.splice(0)) {
      waiter.reject(new Error(`${this.config.functionName}: the service has stopped`));
    }
    await Promise.all([...this.live].map((e) => e.stop()));
  }

  private nextFault(): FaultKind | undefined {
    const now = Date.now();
    this.faults = this.faults.filter((f) => (f.remaining ?? 1) > 0 && (f.until ?? now + 1) > now);
    const fault = this.faults[0];
    if (fault?.remaining !== undefined) fault.remaining--;
    return fault?.kind;
  }

  private acquire() {
    const reserved = this.config.reservedConcurrency;
    const full =
      reserved !== undefined
        ? this.inFlight >= reserved
        : this.account.inUse >= this.account.unreserved;
    if (full) this.throttle();
    if (reserved === undefined) this.account.inUse++;
    this.inFlight++;
  }

  private release() {
    if (this.config.reservedConcurrency === undefined) this.account.inUse--;
    this.inFlight--;
  }

  private throttle(): never {
    this.usage.throttles++;
    throw new TooManyRequestsException(
      this.config.reservedConcurrency !== undefined
        ? 'ReservedFunctionConcurrentInvocationLimitExceeded'
        : 'ConcurrentInvocationLimitExceeded',
      this.config.functionName,
    );
  }

  /** Waits for an environment: a new one, or one freed meanwhile. */
  private coldStart(): Promise<ExecutionEnvironment> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.scaleUp();
    });
  }

  /** Asks for one cold start per waiting invocation not yet covered by one. */
  private scaleUp() {
    while (this.starting < this.waiters.length) {
      this.starting++;
      void this.initSlots.acquire().then(() => this.startEnvironment());
    }
  }

  private startEnvironment() {
    // Served meanwhile by an environment that became free: this cold start is not needed.
    if (this.starting > this.waiters.length || this.stopped) {
      this.starting--;
      this.initSlots.release();
      return;
    }
    const environment = new ExecutionEnvironment(this.config, this.options, (e) => this.forget(e));
    this.live.add(environment);
    this.usage.coldStarts++;
    this.usage.peakEnvironments = Math.max(this.usage.peakEnvironments, this.live.size);
    const done = () => {
      this.starting--;
      this.initSlots.release();
      // A failed init goes to a waiting invocation too, which reports its error.
      this.offer(environment);
      this.scaleUp();
    };
    environment.ready.then((ms) => {
      this.options.log?.(`${this.config.functionName}: cold start, init ${Math.round(ms)} ms`);
      done();
    }, done);
  }

  /** Hands a free environment to the first waiting invocation, or keeps it idle. */
  private offer(environment: ExecutionEnvironment) {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(environment);
    else if (environment.alive) this.putIdle(environment);
  }

  private takeIdle(): ExecutionEnvironment | undefined {
    for (let environment = this.idle.pop(); environment; environment = this.idle.pop()) {
      clearTimeout(this.idleTimers.get(environment));
      this.idleTimers.delete(environment);
      if (environment.alive) return environment;
    }
    return undefined;
  }

  private putIdle(environment: ExecutionEnvironment) {
    this.idle.push(environment);
    const timer = setTimeout(() => void environment.stop(), this.options.idleTimeoutMs ?? 60_000);
    this.idleTimers.set(environment, timer.unref());
  }

  private forget(environment: ExecutionEnvironment) {
    this.live.delete(environment);
    const index = this.idle.indexOf(environment);
    if (index >= 0) this.idle.splice(index, 1);
    clearTimeout(this.idleTimers.get(environment));
    this.idleTimers.delete(environment);
  }
}
