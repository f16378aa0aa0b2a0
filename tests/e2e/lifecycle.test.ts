import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../local/template';
import { startStack, TSX } from './local-stack';

describe('local stack lifecycle', () => {
  it('stops everything cleanly on Ctrl-C', async () => {
    const stack = await startStack(['--no-seed']);

    const code = await stack.stop('SIGINT');

    expect(code).toBe(0);
    expect(stack.output()).toMatch(/SIGINT: stopping[\s\S]*stopped/);
    await expect(fetch(stack.info.apiUrl)).rejects.toThrow();
  }, 90_000);

  it('names the port that is already in use', async () => {
    const first = await startStack(['--no-seed']);
    const port = new URL(first.info.apiUrl).port;
    try {
      const second = spawn(
        process.execPath,
        [
          TSX,
          join(ROOT, 'local', 'start.ts'),
          '--any-ports',
          '--port',
          port,
          '--state-dir',
          first.stateDir,
        ],
        { cwd: ROOT, env: { ...process.env, DYNAMODB_ENDPOINT: '' } },
      );
      let stderr = '';
      second.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const code = await new Promise((resolve) => second.on('exit', resolve));

      expect(code).toBe(1);
      expect(stderr).toContain(`Port ${port} (HTTP API) is already in use`);
    } finally {
      await first.stop();
    }
  }, 90_000);
});
