// Preloaded (`node --require`) into the process that builds the application as `sam build` does
// (bench/build-layered.ts) and, through NODE_OPTIONS, into the layer's build.mjs it runs: every
// esbuild build there also writes its metafile (`<outdir>/esbuild-meta.json`) and external source
// maps (`*.js.map`, not referenced from the code, so the bundles are byte for byte what ships).
// The benchmark reads them to say which modules of a bundle cost what. esbuild's exports cannot be
// reassigned, so `require('esbuild')` is answered with an object that wraps `build`.
'use strict';

const Module = require('node:module');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const load = Module._load;
let wrapped;

Module._load = function loadWithCapture(request, parent, isMain) {
  const exports = load.call(this, request, parent, isMain);
  if (request !== 'esbuild') return exports;
  wrapped ??= Object.create(exports, {
    build: {
      value: async (options) => {
        const result = await exports.build({
          ...options,
          metafile: true,
          sourcemap: options.sourcemap || 'external',
        });
        if (options.outdir)
          writeFileSync(join(options.outdir, 'esbuild-meta.json'), JSON.stringify(result.metafile));
        return result;
      },
    },
  });
  return wrapped;
};
