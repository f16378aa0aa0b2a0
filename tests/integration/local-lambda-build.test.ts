import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildApplication } from '../../local/lambda/index';
import { loadTemplate, ROOT } from '../../local/template';

const work = mkdtempSync(join(tmpdir(), 'local-lambda-build-'));
const hasMake = spawnSync('make', ['--version']).status === 0;

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every file under `dir`, by path relative to it, with its bytes. */
function files(dir: string): Map<string, Buffer> {
  return new Map(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const path = join(entry.parentPath, entry.name);
        return [relative(dir, path), readFileSync(path)];
      }),
  );
}

describe('local Lambda: the build', () => {
  it('builds the functions and the layer without make', async () => {
    const path = process.env.PATH;
    process.env.PATH = join(work, 'no-tools-here');
    try {
      const build = await buildApplication(loadTemplate(), join(work, 'without-make'));

      expect(existsSync(join(build.layerNodeModules, '@orders', 'shared', 'index.js'))).toBe(true);
      for (const fn of Object.values(build.functions)) expect(existsSync(fn.file)).toBe(true);
    } finally {
      process.env.PATH = path;
    }
  });

  // `sam build` runs the layer's Makefile; make is not on every machine that runs the tests.
  (hasMake ? it : it.skip)('builds the layer byte for byte as its Makefile does', async () => {
    const fromMake = join(work, 'make');
    const made = spawnSync(
      'make',
      [
        '-s',
        '-C',
        join(ROOT, 'src', 'layers', 'shared'),
        'build-SharedLayer',
        `ARTIFACTS_DIR=${fromMake}`,
      ],
      { encoding: 'utf8' },
    );
    expect(made.status).toBe(0);

    const build = await buildApplication(loadTemplate(), join(work, 'local'));

    const local = files(join(build.layerNodeModules, '..', '..'));
    expect([...local.keys()]).toContain(
      join('nodejs', 'node_modules', '@orders', 'shared', 'index.js'),
    );
    expect(local).toEqual(files(fromMake));
  });
});
