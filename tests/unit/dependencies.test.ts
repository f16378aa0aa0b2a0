import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../local/template';

/**
 * What ships (the production dependencies, bundled into the functions and the layer) holds one
 * version of each package. Two versions of one package, say @aws-lambda-powertools/commons
 * under Metrics and under Batch, are both bundled and both loaded at every cold start.
 */
describe('production dependencies', () => {
  it('resolve to one version of each package', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; dev?: boolean }>;
    };
    const versions = new Map<string, Set<string>>();
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || entry.dev || !entry.version) continue;
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      versions.set(name, (versions.get(name) ?? new Set()).add(entry.version));
    }
    const duplicated = [...versions]
      .filter(([, found]) => found.size > 1)
      .map(([name, found]) => `${name}: ${[...found].join(', ')}`);
    expect(duplicated).toEqual([]);
  });
});
