import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ROOT } from '../../local/template';
import { type Access, analyseAccess } from './code-access';

/** What a function's code needs from the template. */
export interface FunctionFacts {
  /** Environment variables the code reads, its own and those of the shared layer it loads. */
  envReads: string[];
  /** The AWS actions it can take (see code-access.ts). */
  access: Access[];
}

/**
 * What the code is, as far as the template cares. Collected once from disk; the rules in
 * rules.ts are pure functions of these facts and the template, so a test can break either.
 */
export interface CodeFacts {
  /** Every file under src/ and statemachine/, by path from the project root (`/`-separated). */
  files: Record<string, string>;
  /** Each function's facts, by its code directory (`src/functions/create-order`). */
  functions: Record<string, FunctionFacts>;
}

/**
 * The variables Powertools Metrics reads when the shared layer creates its metrics, which it does
 * as soon as a function loads the layer.
 */
export const POWERTOOLS_VARIABLES = ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE'];

/** Lambda sets these itself (AWS_REGION, _HANDLER, LAMBDA_TASK_ROOT...); no template sets them. */
const RESERVED_VARIABLE = /^(AWS_|_|LAMBDA_)/;

/** An import of the shared layer: its core `@orders/shared` or another entry point of it. */
const SHARED_IMPORT = /\bfrom\s+'@orders\/shared(\/[\w-]+)?'/;

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules') return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

const fromRoot = (path: string) => relative(ROOT, path).split(sep).join('/');

/** Variables a source file reads by name: `requireEnv('X')`, `process.env.X`, `process.env['X']`. */
export function envReadsOf(source: string): string[] {
  const patterns = [
    /\brequireEnv\(\s*['"](\w+)['"]\s*\)/g,
    /\bprocess\.env\.(\w+)/g,
    /\bprocess\.env\[\s*['"](\w+)['"]\s*\]/g,
  ];
  const names = patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]));
  return [...new Set(names as string[])].filter((name) => !RESERVED_VARIABLE.test(name)).sort();
}

/** Reads the code: files, environment variables per function, AWS actions per function. */
export function collectCodeFacts(): CodeFacts {
  const files: Record<string, string> = {};
  for (const path of [...listFiles(join(ROOT, 'src')), ...listFiles(join(ROOT, 'statemachine'))]) {
    files[fromRoot(path)] = readFileSync(path, 'utf8');
  }

  // Every entry point of the layer loads its core; the module-level reads of all its files are
  // counted for any function that loads it (more than it may run, never less).
  const layerReads = Object.entries(files)
    .filter(([path]) => path.startsWith('src/layers/shared/src/'))
    .flatMap(([, source]) => envReadsOf(source));

  const functionDirs = readdirSync(join(ROOT, 'src', 'functions')).map((name) =>
    join(ROOT, 'src', 'functions', name),
  );
  const entries = functionDirs.map((dir) => join(dir, 'index.ts'));
  const access = analyseAccess(entries);

  const functions: Record<string, FunctionFacts> = {};
  for (const dir of functionDirs) {
    const source = files[`${fromRoot(dir)}/index.ts`] ?? '';
    const loadsLayer = SHARED_IMPORT.test(source);
    const reads = [
      ...envReadsOf(source),
      ...(loadsLayer ? [...layerReads, ...POWERTOOLS_VARIABLES] : []),
    ];
    functions[fromRoot(dir)] = {
      envReads: [...new Set(reads)].sort(),
      access: access[join(dir, 'index.ts')] ?? [],
    };
  }
  return { files, functions };
}
