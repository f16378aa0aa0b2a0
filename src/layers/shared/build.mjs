// Builds the shared layer: `node build.mjs <artifacts-dir>`. The one place its esbuild options
// live: `sam build` runs it through the Makefile (BuildMethod: makefile), and the local stack
// runs it directly with the Node.js it runs on (local/lambda/build.ts), so both ship the same
// bytes. It bundles the shared package, `@orders/shared` and each of its subpaths, with their
// dependencies, into CommonJS files where Lambda's Node.js resolves packages,
// /opt/nodejs/node_modules:
// https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths
// Plain JavaScript for any Node.js >= 18; esbuild comes from the project root's node_modules
// (`npm ci` there first), wherever the script is run from.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const { build } = createRequire(join(root, 'package.json'))('esbuild');

/** `@orders/shared` (index) and its subpaths, `@orders/shared/dynamodb` and so on. */
const ENTRY_POINTS = ['index', 'dynamodb', 'step-functions', 'batch'];

const artifactsDir = process.argv[2];
if (!artifactsDir) {
  console.error('usage: node build.mjs <artifacts-dir>');
  process.exit(2);
}
const out = join(resolve(artifactsDir), 'nodejs', 'node_modules', '@orders', 'shared');
mkdirSync(out, { recursive: true });

const options = {
  outdir: out,
  bundle: true,
  // A subpath takes the core from `@orders/shared` at run time: one copy of it per function.
  external: ['@orders/shared'],
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  // ESM entry points first: esbuild tree-shakes ES modules far better than CommonJS.
  mainFields: ['module', 'main'],
  minify: true,
  legalComments: 'external',
  logLevel: 'warning',
};
const entry = (name) => join(here, 'src', `${name}.ts`);
await Promise.all([
  // The core keeps its class names: Lambda's runtime logs an error's type as its class name
  // (`errorType`), which minified would read "ne" in the log lines of an incident. Only the core:
  // the AWS SDK's errors carry their `name` anyway, and keeping every name in the SDK's bundles
  // made them load 70% slower (measured with the bench's probe).
  build({ ...options, entryPoints: [entry('index')], keepNames: true }),
  build({ ...options, entryPoints: ENTRY_POINTS.filter((n) => n !== 'index').map(entry) }),
]);
writeFileSync(
  join(out, 'package.json'),
  '{"name":"@orders/shared","version":"1.0.0","main":"index.js"}\n',
);
