import { spawn } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';

/**
 * Whether this process may raise a process's priority again (CAP_SYS_NICE, as root has). Without
 * it the local Lambda cannot lift an environment from its init priority (see initNice).
 */
export function canRaisePriority(): boolean {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 2000)']);
  try {
    setPriority(child.pid as number, Math.min(19, getPriority() + 1));
    setPriority(child.pid as number, getPriority());
    return true;
  } catch {
    return false;
  } finally {
    child.kill();
  }
}
