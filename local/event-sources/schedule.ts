import { setTimeout as sleep } from 'node:timers/promises';
import { PollingLoop } from './polling-loop';

/** `rate(5 minutes)` -> 300,000 ms; cron() schedules are not run locally. */
export function rateMs(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) throw new Error(`Schedule ${expression}: only rate() expressions run locally`);
  const unit = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86400, days: 86400 };
  return Number(match[1]) * unit[match[2] as keyof typeof unit] * 1000;
}

export interface ScheduleOptions {
  name: string;
  /** How often to invoke (the template's rate, or the stack's shorter local period). */
  periodMs: number;
  /** The schedule target's Input, or `{}`. */
  input?: unknown;
  invoke(event: unknown): Promise<unknown>;
  log(line: string): void;
}

/**
 * An EventBridge Scheduler schedule with a Lambda target (SAM's `ScheduleV2` event): invokes the
 * function with the schedule's input every period. A failed invocation is logged (the function
 * logs what it did); the next period runs it again (Scheduler's own retry policy is not emulated).
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 */
export class Schedule extends PollingLoop {
  constructor(private readonly options: ScheduleOptions) {
    super();
  }

  protected async poll() {
    const { name, periodMs, input = {}, invoke, log } = this.options;
    while (this.running) {
      for (let waited = 0; waited < periodMs && this.running; waited += 100) await sleep(100);
      if (!this.running) return;
      try {
        await invoke(input);
      } catch (err: unknown) {
        log(`${name}: failed: ${(err as Error).name}: ${(err as Error).message}`);
      }
    }
  }
}
