import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ROOT } from '../../local/template';
import { START, startStack } from './local-stack';

/** The environment a user's shell gives npm: the project's Node.js 24 is what npm scripts use. */
const env = {
  ...process.env,
  PATH: [join(ROOT, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  DYNAMODB_ENDPOINT: '',
  AWS_ENDPOINT_URL_DYNAMODB: '',
};

function run(command: string, args: string[]) {
  return spawnSync(command, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
}

async function refused(url: string) {
  return fetch(url).then(
    () => false,
    () => true,
  );
}

/** `npm start` as a user runs it, until its READY line. */
async function npmStart(stateDir: string) {
  const child = spawn('npm', ['start', '--', '--any-ports', '--state-dir', stateDir], {
    cwd: ROOT,
    env,
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start did not start:\n${output}`)),
      60_000,
    );
    child.stdout.on('data', () => {
      if (output.includes('READY ')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const info = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8'));
  return { child, info, output: () => output };
}

function exited(child: ChildProcess) {
  return new Promise((resolve) => child.once('exit', resolve));
}

describe('local stack lifecycle', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    'stops the whole tree and frees every port when npm start gets %s',
    async (signal) => {
      const stateDir = mkdtempSync(join(tmpdir(), 'orders-signal-'));
      const { child, info } = await npmStart(stateDir);
      const urls = [
        info.apiUrl,
        info.issuer,
        info.dynamodb.url,
        info.messagingUrl,
        info.controlUrl,
      ];

      child.kill(signal);
      await exited(child);
      // The stack's own process may outlive npm by a moment while it stops.
      const alive = () => {
        try {
          process.kill(info.pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 200));

      expect(alive()).toBe(false);
      expect(await Promise.all(urls.map(refused))).toEqual(urls.map(() => true));
    },
    90_000,
  );

  it('stops cleanly, freeing its ports and its stack file, when its output pipe closes', async () => {
    // `npm start | tee log` and Ctrl-C: the reader is gone before the stack stops.
    const stateDir = mkdtempSync(join(tmpdir(), 'orders-pipe-'));
    const { child, info } = await npmStart(stateDir);
    child.stdout?.destroy();
    child.stderr?.destroy();

    await fetch(`${info.apiUrl}/orders`).catch(() => undefined); // a request logs a line
    await exited(child);

    expect(await refused(info.apiUrl)).toBe(true);
    expect(existsSync(join(stateDir, 'stack.json'))).toBe(false);
  }, 90_000);

  it('names the port that is already in use', async () => {
    const first = await startStack(['--no-seed']);
    const port = new URL(first.info.apiUrl).port;
    try {
      const second = run(process.execPath, [
        ...START,
        '--any-ports',
        '--port',
        port,
        '--state-dir',
        first.stateDir,
      ]);
      expect(second.status).toBe(1);
      expect(second.stderr).toContain(`Port ${port} (HTTP API) is already in use`);
      expect(second.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await first.stop();
    }
  }, 90_000);

  it.each([
    ['npm', ['start', '--', '--bogus'], /Unknown option '--bogus'/],
    [
      'npm',
      ['start', '--', '--port', 'abc'],
      /--port must be a whole number from 0 to 65535, not "abc"/,
    ],
    ['npm', ['run', 'token', '--', '--user', 'bob'], /Unknown option '--user'/],
    [
      'npm',
      ['run', 'fault', '--', 'dynamodb', 'sideways', '4'],
      /dynamodb takes unavailable, unreachable or throttle/,
    ],
  ])(
    'answers a bad command line with one line and the usage: %s %s',
    (command, args, problem) => {
      const result = run(command, args);

      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(problem);
      expect(result.stderr).toMatch(/: npm (start|run)/); // the usage
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
    60_000,
  );

  it('hands out working tokens for a stack on any ports with its own state directory', async () => {
    const stack = await startStack(['--no-seed']);
    try {
      // The banner's hint, as printed.
      const hint = stack.output().match(/\(TOKEN=\$\((npm run -s token -- [^)]*)\)\)/)?.[1];
      expect(hint).toContain(`--state-dir ${stack.stateDir}`);
      const token = run('npm', hint?.split(' ').slice(1) ?? []).stdout.trim();

      const response = await fetch(`${stack.info.apiUrl}/orders`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
    } finally {
      await stack.stop();
    }
  }, 90_000);
});
