import { readFileSync } from 'node:fs';

/**
 * How busy this machine's CPUs are: the share of their time that was not idle over the last
 * interval, from /proc/stat (Linux; time stolen by the hypervisor counts as busy, it was not ours
 * to use). Where there is no /proc/stat, the machine reads as never saturated.
 * https://docs.kernel.org/filesystems/proc.html#miscellaneous-kernel-statistics-in-proc-stat
 */
export class CpuLoad {
  private previous = readCpuTimes();
  private busyShare = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(intervalMs = 1000) {
    if (this.previous) this.timer = setInterval(() => this.sample(), intervalMs).unref();
  }

  /** Whether at least `threshold` of the CPU time was busy over the last interval. */
  saturated(threshold = 0.9): boolean {
    return this.busyShare >= threshold;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample() {
    const now = readCpuTimes();
    if (!now || !this.previous) return;
    const total = now.total - this.previous.total;
    this.busyShare = total > 0 ? (now.busy - this.previous.busy) / total : 0;
    this.previous = now;
  }
}

/** All CPUs' time so far, and the part of it not idle (clock ticks). */
function readCpuTimes(): { busy: number; total: number } | undefined {
  try {
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is in user)
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (ticks.length < 8 || ticks.some(Number.isNaN)) return undefined;
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}
