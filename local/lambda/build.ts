import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { loadTemplate, ROOT, type Template } from '../template';

export const BUILD_DIR = join(ROOT, '.local', 'build');

export interface BuiltFunction {
  logicalId: string;
  /** The bundle's directory, as /var/task holds it on Lambda. */
  dir: string;
  /** The template's Handler, `index.handler`: file index.js, export handler. */
  handler: string;
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
 * its `Metadata.BuildProperties` (BuildMethod: esbuild), and the shared layer with the script
 * its Makefile runs (BuildMethod: makefile), src/layers/shared/build.mjs, run here directly with
 * this Node.js, so `npm start` needs no make. The local stack runs these bundles, so it runs
 * the code that deploys.
 * https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-using-build-typescript.html
 * https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/building-layers.html
 */
export async function buildApplication(
  template: Template = loadTemplate(),
  outDir = BUILD_DIR,
): Promise<Build> {
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
    const handler = String(Handler);
    const [file, exportName] = handler.split('.') as [string, string];
    const dir = join(outDir, logicalId);
    functions[logicalId] = { logicalId, dir, handler, file: join(dir, `${file}.js`), exportName };
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
  if (layer.Metadata?.BuildMethod !== 'makefile') {
    throw new Error(
      `${layerId}: only BuildMethod makefile (running build.mjs) is supported locally`,
    );
  }
  const layerDir = join(outDir, layerId);
  const script = join(ROOT, layer.Properties.ContentUri, 'build.mjs');
  builds.push(promisify(execFile)(process.execPath, [script, layerDir]));
  await Promise.all(builds);
  return { functions, layerNodeModules: join(layerDir, 'nodejs', 'node_modules') };
}
