import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The environment a learner's terminal has after `npm ci`: Node.js 24 first on PATH. */
export function learnerEnv(root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // What the checker's own npm run put in the environment is not the learner's.
  for (const key of Object.keys(env)) {
    if (key.startsWith('npm_') || key === 'INIT_CWD') delete env[key];
  }
  delete env.AWS_ENDPOINT_URL_DYNAMODB;
  delete env.DYNAMODB_ENDPOINT;
  env.PATH = `${join(root, 'node_modules', 'node', 'bin')}:${env.PATH ?? ''}`;
  return env;
}

export interface BlockRun {
  status: number | null;
  output: string;
  timedOut: boolean;
  ms: number;
}

/**
 * One learner's terminal: a bash process that runs the blocks of a module one after the other,
 * so that a variable set by one block (`TOKEN=$(...)`, `source workshop/env.sh`) is there for the
 * next, as in a terminal. Each block runs sourced, its output captured on its own.
 */
export class Shell {
  private readonly bash: ChildProcess;
  private readonly dir: string;
  private stdout = '';
  private count = 0;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    // The blocks and their output, in the scratch copy (removed with it), outside .local (which
    // module 11 deletes).
    mkdirSync(join(cwd, '.workshop-check'), { recursive: true });
    this.dir = mkdtempSync(join(cwd, '.workshop-check', 'shell-'));
    this.bash = spawn('bash', ['--noprofile', '--norc'], {
      cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.bash.stdout?.on('data', (d: Buffer) => {
      this.stdout += d.toString();
    });
    this.bash.stderr?.on('data', (d: Buffer) => {
      this.stdout += d.toString();
    });
  }

  /** Runs a block as the learner would paste it; gives up after `timeoutMs`. */
  async run(script: string, timeoutMs: number): Promise<BlockRun> {
    const n = ++this.count;
    const file = join(this.dir, `block-${n}.sh`);
    const out = join(this.dir, `out-${n}.txt`);
    const marker = `__WORKSHOP_BLOCK_${n}_DONE__`;
    writeFileSync(file, `${script}\n`);
    writeFileSync(out, '');
    const started = Date.now();
    this.bash.stdin?.write(`source '${file}' > '${out}' 2>&1 < /dev/null; echo "${marker} $?"\n`);
    const deadline = started + timeoutMs;
    while (Date.now() < deadline) {
      const m = new RegExp(`${marker} (\\d+)`).exec(this.stdout);
      if (m) {
        return {
          status: Number(m[1]),
          output: readFileSync(out, 'utf8'),
          timedOut: false,
          ms: Date.now() - started,
        };
      }
      if (this.bash.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      status: null,
      output: readFileSync(out, 'utf8'),
      timedOut: true,
      ms: Date.now() - started,
    };
  }

  /** Ends the shell and whatever its blocks left running. */
  close() {
    try {
      if (this.bash.pid) process.kill(-this.bash.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The learner's terminal 1: `npm start` with the options a module gives, run with `--any-ports`
 * added so the checker never collides with a stack on the default ports. Its output is what the
 * learner watches in terminal 1.
 */
export class StackProcess {
  private readonly child: ChildProcess;
  output = '';

  constructor(
    readonly command: string,
    cwd: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn('bash', ['-c', withAnyPorts(command)], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
  }

  /** Waits for the stack's "Ctrl-C stops everything." line. */
  async ready(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes('Ctrl-C stops everything.')) {
      if (this.child.exitCode !== null) {
        throw new Error(`terminal 1 exited with ${this.child.exitCode}:\n${this.output}`);
      }
      if (Date.now() > deadline) throw new Error(`terminal 1 did not start:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ctrl-C in terminal 1: SIGINT to its process group, as the terminal sends it. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || !this.child.pid) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', resolve));
    process.kill(-this.child.pid, 'SIGINT');
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000)),
    ]);
    if (code === 'timeout') {
      process.kill(-this.child.pid, 'SIGKILL');
      return null;
    }
    return code;
  }
}

/** `npm start -- --x` → `npm start -- --any-ports --x`; `npm start` → `npm start -- --any-ports`. */
export function withAnyPorts(command: string): string {
  if (command.includes('npm start -- '))
    return command.replace('npm start -- ', 'npm start -- --any-ports ');
  return command.replace(/npm start(?!\S)/, 'npm start -- --any-ports');
}
