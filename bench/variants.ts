import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { buildApplication } from '../local/build';
import { loadTemplate, ROOT } from '../local/template';

export const BENCH_DIR = join(ROOT, '.bench');

export type VariantName = 'layered' | 'bundled' | 'unbundled';

export interface FunctionBuild {
  file: string;
  exportName: string;
  /** Bytes of the function's own code (its bundle, or its compiled entry for unbundled). */
  ownFiles: string[];
}

export interface Variant {
  name: VariantName;
  functions: Record<string, FunctionBuild>;
  /** Added to NODE_PATH, as Lambda adds /opt/nodejs/node_modules. */
  nodePath?: string;
  /** The layer's files, loaded by every function of this variant. */
  layerFiles: string[];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => statSync(f).isFile());
}

/**
 * The three builds the benchmark compares, of the same handlers:
 * - layered: what `sam build` makes (functions bundled with @orders/shared external, the layer
 *   bundled by its Makefile);
 * - bundled: each function bundled with everything it uses, no layer;
 * - unbundled: the TypeScript compiled file by file, loading packages from node_modules.
 */
export async function buildVariants(): Promise<Record<VariantName, Variant>> {
  const template = loadTemplate();
  const functionIds = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Serverless::Function')
    .map(([id]) => id);

  const layeredBuild = await buildApplication(template, join(BENCH_DIR, 'layered'));
  const layered: Variant = {
    name: 'layered',
    nodePath: layeredBuild.layerNodeModules,
    layerFiles: filesUnder(layeredBuild.layerNodeModules).filter((f) => f.endsWith('.js')),
    functions: Object.fromEntries(
      Object.entries(layeredBuild.functions).map(([id, f]) => [
        id,
        { file: f.file, exportName: f.exportName, ownFiles: [f.file] },
      ]),
    ),
  };

  const bundled: Variant = { name: 'bundled', layerFiles: [], functions: {} };
  for (const id of functionIds) {
    const r = template.Resources[id];
    const props = r.Metadata.BuildProperties;
    const outdir = join(BENCH_DIR, 'bundled', id);
    await build({
      absWorkingDir: join(ROOT, r.Properties.CodeUri),
      entryPoints: props.EntryPoints,
      outdir,
      bundle: true,
      platform: props.Platform,
      format: props.Format,
      target: props.Target,
      mainFields: String(props.MainFields).split(','),
      minify: props.Minify === true,
      // @orders/shared resolves through tsconfig.json's paths to the source: bundled in.
      tsconfig: join(ROOT, 'tsconfig.json'),
      logLevel: 'error',
    });
    const file = join(outdir, 'index.js');
    bundled.functions[id] = { file, exportName: 'handler', ownFiles: [file] };
  }

  // Unbundled: every source file compiled to CommonJS in place of its .ts, and @orders/shared
  // as a package pointing at the compiled layer source, as a plain `tsc` build would ship it.
  const out = join(BENCH_DIR, 'unbundled');
  const sources = filesUnder(join(ROOT, 'src')).filter((f) => f.endsWith('.ts'));
  await build({
    entryPoints: sources,
    outdir: join(out, 'src'),
    outbase: join(ROOT, 'src'),
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    logLevel: 'error',
  });
  const shared = join(out, 'node_modules', '@orders', 'shared');
  mkdirSync(shared, { recursive: true });
  writeFileSync(
    join(shared, 'package.json'),
    JSON.stringify({
      name: '@orders/shared',
      main: relative(shared, join(out, 'src', 'layers', 'shared', 'src', 'index.js')),
    }),
  );
  const unbundled: Variant = {
    name: 'unbundled',
    layerFiles: [],
    functions: Object.fromEntries(
      functionIds.map((id) => {
        const folder = String(template.Resources[id].Properties.CodeUri).replace(/^src\//, '');
        const file = join(out, 'src', folder, 'index.js');
        return [id, { file, exportName: 'handler', ownFiles: [file] }];
      }),
    ),
  };
  return { layered, bundled, unbundled };
}
