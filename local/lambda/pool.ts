import { randomUUID } from 'node:crypto';
import {
  type EnvironmentConfig,
  type EnvironmentOptions,
  ExecutionEnvironment,
  type InvocationFault,
} from './environment';
import {
  FunctionError,
  MAX_SYNC_PAYLOAD_BYTES,
  RequestTooLargeException,
  TooManyRequestsException,
} from './errors';

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
  /**
   * Before a cold start, wait a moment for a busy environment to free up (see FunctionPool).
   * Default false: a new environment at once, as Lambda scales.
   */
  waitForBusyEnvironments?: boolean;
  /** Whether every CPU of the machine is in use now (with waitForBusyEnvironments). */
  cpuSaturated?: () => boolean;
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
  /** True once the invocation has asked for an environment of its own (a cold start). */
  scalesOut: boolean;
  /** Until it decides again, while it waits for a busy environment. */
  timer?: NodeJS.Timeout;
}

/**
 * When a running invocation stops counting as about to free its environment: once it has run for
 * this many times the function's median duration, and at least STUCK_MIN_MS (a hung one, or one
 * waiting on a dependency that is down); see FunctionPool.
 */
const STUCK_FACTOR = 10;
const STUCK_MIN_MS = 1000;

/** The latest durations of something (ms), for their median: how long it takes these days. */
class RecentDurations {
  private readonly ring: number[] = [];
  private count = 0;

  constructor(private readonly size = 32) {}

  add(ms: number) {
    this.ring[this.count++ % this.size] = ms;
  }

  /** The median of the latest durations; undefined before the first. */
  median(): number | undefined {
    if (this.ring.length === 0) return undefined;
    return [...this.ring].sort((a, b) => a - b)[this.ring.length >> 1];
  }
}

/** A fault injected: `clear` ends it; `remaining` is how many invocations it still applies to. */
export interface InjectedFault {
  clear(): void;
  /** Invocations left for a fault given a count; undefined for the others. */
  remaining(): number | undefined;
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
 *
 * And, with `waitForBusyEnvironments` (the local stack sets it), an invocation that finds every
 * environment busy asks for a cold start only when the busy ones would serve it later than a new
 * one: when its place in the queue, over the environments running, times the function's recent
 * median duration, is longer than the function's recent median cold start. Otherwise it waits for
 * one to free up, for as long as a cold start would take, and then asks for one all the same.
 * While the machine's CPU is all in use (`cpuSaturated`), it keeps waiting whatever its place: a
 * new environment would only take CPU from the ones running, and the queue drains no faster.
 * With nothing running that looks like it will end soon (every invocation running has run for
 * ten times the median duration, and at least a second: hung, or waiting on a dependency that is
 * down), or before the first duration is known, it asks at once, as on Lambda.
 * A new environment costs 150 ms of CPU here, a hundred warm invocations of a function that runs
 * in 1 to 5 ms, taken from the cores every other environment runs on: when the workflows of a
 * stream batch called ProcessOrderFunction a dozen at a time, each burst started a dozen
 * environments, which slowed every invocation in flight, which made the next burst wait longer
 * and start more: at 50 orders/s, hundreds of cold starts a minute and POST /orders answering in
 * seconds (bench/results/latest.md, section 4). A queue that outgrows what the warm environments
 * can serve in the time of a cold start still scales out, as on Lambda.
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
  /** When each invocation running in an environment now started (performance.now()). */
  private readonly running = new Set<{ from: number }>();
  /** How long the function's invocations and its cold starts take, these days. */
  private readonly durations = new RecentDurations();
  private readonly initDurations = new RecentDurations();
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
    const payload = JSON.stringify(event ?? null);
    const bytes = Buffer.byteLength(payload);
    if (bytes > MAX_SYNC_PAYLOAD_BYTES) throw new RequestTooLargeException(bytes);
    const fault = this.nextFault();
    if (fault === 'throttle') this.throttle();
    this.acquire();
    const started = performance.now();
    this.usage.invocations++;
    let environment: ExecutionEnvironment | undefined;
    let run: { from: number } | undefined;
    try {
      environment = this.takeIdle() ?? (await this.waitForEnvironment());
      // Environments are handed out once initialised: this is the invocation's own duration.
      run = { from: performance.now() };
      this.running.add(run);
      return await environment.invoke(randomUUID(), payload, fault);
    } catch (err: unknown) {
      if (err instanceof FunctionError && /^(Sandbox|Runtime)\./.test(err.errorType)) {
        this.options.log?.(
          `${this.config.functionName}: ${err.errorType}: ${err.message.split('\n')[0]}`,
        );
      }
      throw err;
    } finally {
      if (run) {
        this.running.delete(run);
        this.durations.add(performance.now() - run.from);
      }
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
  injectFault(kind: FaultKind, options: FaultOptions = {}): InjectedFault {
    const fault: Fault = {
      kind,
      remaining: options.count,
      until: options.seconds === undefined ? undefined : Date.now() + options.seconds * 1000,
    };
    this.faults.push(fault);
    return {
      clear: () => (this.faults = this.faults.filter((f) => f !== fault)),
      remaining: () => fault.remaining,
    };
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
      clearTimeout(waiter.timer);
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

  /**
   * Waits for an environment: a new one, or one freed meanwhile. The cold start is asked for at
   * once, or after a wait for a busy environment to free up (see the class comment).
   */
  private waitForEnvironment(): Promise<ExecutionEnvironment> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, scalesOut: false };
      this.waiters.push(waiter);
      this.decide(waiter);
    });
  }

  /** Asks for a cold start for a waiting invocation now, or decides again later. */
  private decide(waiter: Waiter) {
    if (!this.waiters.includes(waiter)) return; // served meanwhile
    const wait = this.waitForBusyMs(waiter);
    if (wait > 0) {
      waiter.timer = setTimeout(() => this.decide(waiter), wait);
      return;
    }
    waiter.scalesOut = true;
    this.scaleUp();
  }

  /**
   * How much longer a waiting invocation waits for a busy environment before it asks for a cold
   * start; 0 to ask now. See the class comment.
   */
  private waitForBusyMs(waiter: Waiter): number {
    if (!this.options.waitForBusyEnvironments) return 0;
    const duration = this.durations.median();
    const init = this.initDurations.median();
    if (duration === undefined || init === undefined) return 0;
    const stuckAfter = Math.max(STUCK_FACTOR * duration, STUCK_MIN_MS);
    const now = performance.now();
    const freeing = [...this.running].filter((r) => now - r.from < stuckAfter).length;
    if (freeing === 0) return 0;
    if (this.options.cpuSaturated?.()) return init;
    if (waiter.timer) return 0; // it has waited as long as a cold start takes
    const place = this.waiters.indexOf(waiter) + 1;
    return Math.ceil(place / freeing) * duration < init ? init : 0;
  }

  /** Waiting invocations that have asked for a cold start. */
  private demand(): number {
    return this.waiters.filter((w) => w.scalesOut).length;
  }

  /** Asks for one cold start per waiting invocation that wants one, not yet covered by one. */
  private scaleUp() {
    while (this.starting < this.demand()) {
      this.starting++;
      void this.initSlots.acquire().then(() => this.startEnvironment());
    }
  }

  private startEnvironment() {
    // Served meanwhile by an environment that became free: this cold start is not needed.
    if (this.starting > this.demand() || this.stopped) {
      this.starting--;
      this.initSlots.release();
      return;
    }
    const started = performance.now();
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
      this.initDurations.add(performance.now() - started);
      done();
    }, done);
  }

  /** Hands a free environment to the first waiting invocation, or keeps it idle. */
  private offer(environment: ExecutionEnvironment) {
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(environment);
    } else if (environment.alive) this.putIdle(environment);
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
