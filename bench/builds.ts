import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import type { Build } from '../local/lambda';
import { loadTemplate, ROOT } from '../local/template';

export const BENCH_DIR = join(ROOT, '.bench');

/** What one row of the per-function tables runs in its fresh processes. */
export interface Subject {
  name: string;
  /** floor; a function as `sam build` builds it; everything bundled into it; an option's price. */
  kind: 'floor' | 'layered' | 'bundled' | 'option';
  /** The template function whose environment and sample event it takes ('floor' for the floor's). */
  fixture: string;
  file: string;
  /** The layer's node_modules, as Lambda's NODE_PATH holds /opt/nodejs/node_modules. */
  nodePath?: string;
  /** The esbuild metafiles of the files it loads, and which outputs of them it loads. */
  bundles: Array<{ metafile: string; outputs: string[] }>;
}

/** The template's esbuild options for a function (`Metadata.BuildProperties`), as esbuild options. */
function buildOptions(props: Record<string, unknown>): BuildOptions {
  return {
    bundle: true,
    platform: (props.Platform as BuildOptions['platform']) ?? 'node',
    format: (props.Format as BuildOptions['format']) ?? 'cjs',
    target: props.Target as string,
    mainFields: String(props.MainFields ?? 'main').split(','),
    minify: props.Minify === true,
    logLevel: 'error',
  };
}

/** Bundles one entry with everything it imports; keeps the metafile and an external source map. */
async function bundle(entry: string, outfile: string, options: BuildOptions) {
  const { metafile } = await build({
    ...options,
    entryPoints: [entry],
    outfile,
    metafile: true,
    sourcemap: 'external',
    // `@orders/shared` resolves through tsconfig.json's paths to the layer's source: bundled in.
    tsconfig: join(ROOT, 'tsconfig.json'),
    ...(options.format === 'esm'
      ? {
          // The CommonJS packages inside an ESM bundle still call require(): give them one.
          banner: {
            js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
          },
        }
      : {}),
  });
  const meta = `${outfile}.meta.json`;
  writeFileSync(meta, JSON.stringify(metafile));
  return { metafile: meta, outputs: [outfile] };
}

/**
 * Everything the per-function measurement runs, built in the same run:
 * - every function of the template as `sam build` builds it (local/lambda/build.ts, run with
 *   bench/esbuild-capture.cjs so that each bundle's metafile and source map are kept);
 * - the floor: one GetCommand, with the functions' build options;
 * - each function that uses the layer with everything bundled into it (no layer);
 * - the options the README weighs, each against the floor: Powertools Tracer, the order schema in
 *   zod classic, zod/mini and valibot, and ESM output against CommonJS.
 */
export async function buildSubjects(): Promise<{ subjects: Subject[]; build: Build }> {
  const template = loadTemplate();
  const layered = await buildLayered(join(BENCH_DIR, 'layered'));
  const functions = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === 'AWS::Serverless::Function',
  );
  const [, first] = functions[0] ?? [];
  const common = buildOptions(first?.Metadata?.BuildProperties ?? {});
  const layerMeta = join(layered.layerNodeModules, '@orders', 'shared', 'esbuild-meta.json');

  const subjects: Subject[] = [];
  const out = join(BENCH_DIR, 'variants');
  const handlers = join(ROOT, 'bench', 'handlers');
  const floor = await bundle(join(handlers, 'floor.ts'), join(out, 'floor', 'index.js'), common);
  subjects.push({
    name: 'floor (one GetCommand)',
    kind: 'floor',
    fixture: 'floor',
    file: join(out, 'floor', 'index.js'),
    bundles: [floor],
  });

  const bundled: Subject[] = [];
  for (const [id, resource] of functions) {
    const built = layered.functions[id];
    if (!built) throw new Error(`${id} was not built`);
    const ownMeta = join(built.dir, 'esbuild-meta.json');
    const layerOutputs = layerFilesLoaded(ownMeta);
    subjects.push({
      name: id.replace(/Function$/, ''),
      kind: 'layered',
      fixture: id,
      file: built.file,
      nodePath: layered.layerNodeModules,
      bundles: [
        { metafile: ownMeta, outputs: [built.file] },
        ...(layerOutputs.length ? [{ metafile: layerMeta, outputs: layerOutputs }] : []),
      ],
    });
    if (layerOutputs.length === 0) continue; // loads no layer code: nothing to bundle in
    const props = resource.Metadata?.BuildProperties ?? {};
    const entry = join(ROOT, resource.Properties.CodeUri, String(props.EntryPoints?.[0]));
    const file = join(out, 'bundled', id, 'index.js');
    bundled.push({
      name: `${id.replace(/Function$/, '')}, all bundled`,
      kind: 'bundled',
      fixture: id,
      file,
      bundles: [await bundle(entry, file, buildOptions(props))],
    });
  }
  subjects.push(...bundled);

  const option = async (name: string, handler: string, format: 'cjs' | 'esm' = 'cjs') => {
    const file = join(out, handler, format === 'esm' ? 'index.mjs' : 'index.js');
    const made = await bundle(join(handlers, `${handler}.ts`), file, { ...common, format });
    subjects.push({ name, kind: 'option', fixture: 'floor', file, bundles: [made] });
  };
  await option('floor + Powertools Tracer (X-Ray SDK)', 'tracer');
  await option('floor + order schema, zod classic', 'zod-classic');
  await option('floor + order schema, zod/mini (ours)', 'zod-mini');
  await option('floor + order schema, valibot', 'valibot');
  await option('floor as ESM', 'floor', 'esm');
  const createOrder = template.Resources.CreateOrderFunction;
  if (createOrder) {
    const props = createOrder.Metadata?.BuildProperties ?? {};
    const file = join(out, 'create-order-esm', 'index.mjs');
    const entry = join(ROOT, createOrder.Properties.CodeUri, String(props.EntryPoints?.[0]));
    subjects.push({
      name: 'CreateOrder, all bundled, as ESM',
      kind: 'option',
      fixture: 'CreateOrderFunction',
      file,
      bundles: [await bundle(entry, file, { ...buildOptions(props), format: 'esm' })],
    });
  }
  return { subjects, build: layered };
}

/** Runs the local stack's build in a child process with the capture hook preloaded. */
async function buildLayered(outDir: string): Promise<Build> {
  const hook = join(ROOT, 'bench', 'esbuild-capture.cjs');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'build-layered.ts'), outDir],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: `--require ${hook}` },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Build;
}

/**
 * The layer's files a function bundle loads: `@orders/shared` (index.js) and each subpath it
 * imports (`@orders/shared/dynamodb` is dynamodb.js), which themselves import the index.
 */
function layerFilesLoaded(metafile: string): string[] {
  if (!existsSync(metafile)) return [];
  const meta = JSON.parse(readFileSync(metafile, 'utf8')) as Metafile;
  const paths = Object.values(meta.outputs).flatMap((o) =>
    o.imports.filter((i) => i.external && i.path.startsWith('@orders/shared')).map((i) => i.path),
  );
  if (paths.length === 0) return [];
  return [
    'index.js',
    ...new Set(paths.filter((p) => p !== '@orders/shared').map((p) => `${p.split('/').pop()}.js`)),
  ];
}
