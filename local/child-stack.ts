import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './template';

/** How `npm start` runs the stack: this Node.js (the runtime's major, 24) with tsx's loader. */
export const START = ['--import', 'tsx', join(ROOT, 'local', 'start.ts')];

/** What the stack prints on its READY line. */
export interface StackInfo {
  apiUrl: string;
  issuer: string;
  audience: string;
  dynamodb: { url: string; tables: Record<string, string> };
  messagingUrl: string;
  queues: Record<string, string>;
  topics: Record<string, string>;
}

export interface RunningStack {
  info: StackInfo;
  process: ChildProcess;
  output: () => string;
  stateDir: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `npm start`'s program as a user would, in a child process on free ports and with its
 * own state directory, and waits for its READY line. Used by the end-to-end tests and the
 * benchmark; extra arguments (such as a short visibility timeout) are passed on.
 */
export async function spawnLocalStack(
  args: string[] = [],
  stateDir = mkdtempSync(join(tmpdir(), 'orders-stack-')),
): Promise<RunningStack> {
  const child = spawn(
    process.execPath,
    [...START, '--any-ports', '--state-dir', stateDir, ...args],
    { cwd: ROOT, env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: '', DYNAMODB_ENDPOINT: '' } },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const info = await new Promise<StackInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Stack did not start:\n${output}`)), 60_000);
    const check = () => {
      const line = output.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('READY '.length)) as StackInfo);
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => reject(new Error(`Stack exited with ${code}:\n${output}`)));
  });
  return {
    info,
    process: child,
    output: () => output,
    stateDir,
    stop(signal: NodeJS.Signals = 'SIGINT') {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      });
    },
  };
}
