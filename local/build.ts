import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { loadTemplate, ROOT, type Template } from './template';

export const BUILD_DIR = join(ROOT, '.local', 'build');

export interface BuiltFunction {
  logicalId: string;
  /** The bundle's directory, as /var/task holds it on Lambda. */
  dir: string;
  /** `index.handler` -> file index.js, export handler. */
  file: string;
  exportName: string;
}

export interface Build {
  functions: Record<string, BuiltFunction>;
  /** The layer's node_modules, where Lambda's NODE_PATH finds it (/opt/nodejs/node_modules). */
  layerNodeModules: string;
}

/**
 * Builds what `sam build` builds, the same way: each function with esbuild and the options of
 * its `Metadata.BuildProperties`, and the shared layer with its own Makefile. The local stack
 * runs these bundles, so it runs the code that deploys.
 */
export async function buildApplication(template: Template = loadTemplate(), outDir = BUILD_DIR) {
  rmSync(outDir, { recursive: true, force: true });
  const functions: Record<string, BuiltFunction> = {};
  const builds: Promise<unknown>[] = [];

  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const { CodeUri, Handler } = resource.Properties;
    const props = resource.Metadata?.BuildProperties ?? {};
    if (resource.Metadata?.BuildMethod !== 'esbuild') {
      throw new Error(`${logicalId}: only BuildMethod esbuild is supported locally`);
    }
    const [file, exportName] = String(Handler).split('.') as [string, string];
    const dir = join(outDir, logicalId);
    functions[logicalId] = { logicalId, dir, file: join(dir, `${file}.js`), exportName };
    builds.push(
      build({
        absWorkingDir: join(ROOT, CodeUri),
        entryPoints: props.EntryPoints,
        outdir: dir,
        bundle: true,
        platform: props.Platform ?? 'node',
        format: props.Format ?? 'cjs',
        target: props.Target,
        mainFields: String(props.MainFields ?? 'main').split(','),
        minify: props.Minify === true,
        sourcemap: props.Sourcemap === true,
        external: props.External ?? [],
        logLevel: 'warning',
      }),
    );
  }

  const layers = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === 'AWS::Serverless::LayerVersion',
  );
  if (layers.length !== 1) throw new Error('The local build expects exactly one layer');
  const [layerId, layer] = layers[0] as [string, Template['Resources'][string]];
  const layerDir = join(outDir, layerId);
  mkdirSync(layerDir, { recursive: true });
  execFileSync('make', ['-s', '-C', join(ROOT, layer.Properties.ContentUri), `build-${layerId}`], {
    env: { ...process.env, ARTIFACTS_DIR: layerDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await Promise.all(builds);
  return { functions, layerNodeModules: join(layerDir, 'nodejs', 'node_modules') } satisfies Build;
}
