import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STACK_FILE } from '../stack';
import { ROOT } from '../template';
import { CommandError } from './args';

/** What a running stack writes to `<state-dir>/stack.json` for the other commands. */
export interface StackFile {
  pid: number;
  apiUrl: string;
  issuer: string;
  audience: string;
  stateDir: string;
  controlUrl: string;
  messagingUrl: string;
  queues: Record<string, string>;
  topics: Record<string, string>;
  dynamodb: { url: string; tables: Record<string, string> };
}

/** The stack running with this state directory (default .local), or a CommandError saying how to start one. */
export function runningStack(stateDir = join(ROOT, '.local')): StackFile {
  const file = join(stateDir, STACK_FILE);
  const stack = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as StackFile)
    : undefined;
  if (!stack || !isAlive(stack.pid)) {
    throw new CommandError(
      `No local stack is running with state directory ${stateDir}. Start one with npm start (and give the same --state-dir here if it has one).`,
    );
  }
  return stack;
}

/** Whether a process with this id is running (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
