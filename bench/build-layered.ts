// `tsx bench/build-layered.ts <outDir>`: the application built as `sam build` builds it, by the
// local stack's own build (local/lambda/build.ts). Run by bench/builds.ts with
// bench/esbuild-capture.cjs preloaded, so each bundle's metafile and source map are kept beside it.
import { buildApplication } from '../local/lambda';
import { loadTemplate } from '../local/template';

const outDir = process.argv[2];
if (!outDir) throw new Error('usage: tsx bench/build-layered.ts <outDir>');
buildApplication(loadTemplate(), outDir).then(
  (build) => process.stdout.write(`${JSON.stringify(build)}\n`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
