import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';
import { BENCH_DIR, type Subject } from './builds';
import type { Fixtures } from './fixtures';
import { probe } from './functions';

/**
 * Where a piece of bundled code comes from: the npm package (`@aws-sdk/client-dynamodb`,
 * `zod`), or our own code.
 */
export function origin(source: string): string {
  const path = source.replaceAll('\\', '/');
  const at = path.lastIndexOf('node_modules/');
  if (at >= 0) {
    const [scope, name] = path.slice(at + 'node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : String(scope);
  }
  if (path.includes('src/layers/shared/')) return 'ours: shared layer';
  if (path.includes('src/functions/')) return 'ours: function';
  if (path.includes('bench/handlers/')) return 'bench handler';
  return path;
}

/** Bytes of each origin in the bundles a subject loads (esbuild metafiles). */
export function bytesByOrigin(subject: Subject): Map<string, number> {
  const bytes = new Map<string, number>();
  for (const { metafile, outputs } of subject.bundles) {
    if (!existsSync(metafile)) continue;
    const meta = JSON.parse(readFileSync(metafile, 'utf8')) as Metafile;
    for (const output of outputs) {
      const tail = output.split('/').slice(-3).join('/');
      const found = Object.entries(meta.outputs).find(([key]) => key.endsWith(tail));
      for (const [input, { bytesInOutput }] of Object.entries(found?.[1].inputs ?? {})) {
        const o = origin(input);
        bytes.set(o, (bytes.get(o) ?? 0) + bytesInOutput);
      }
    }
  }
  return bytes;
}

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string; lineNumber: number; columnNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** What a profile node's time counts as: a package of the bundle, Node.js itself, or V8. */
function classifier() {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (file: string) => {
    if (!maps.has(file)) {
      const map = `${file}.map`;
      maps.set(
        file,
        existsSync(map) ? new SourceMap(JSON.parse(readFileSync(map, 'utf8'))) : undefined,
      );
    }
    return maps.get(file);
  };
  return ({ callFrame }: ProfileNode): string => {
    const { url, functionName, lineNumber, columnNumber } = callFrame;
    if (url === '') {
      if (functionName === '(garbage collector)') return 'V8: garbage collection';
      if (functionName === '(program)') return 'V8: compiling and other native work';
      if (functionName === '(idle)') return 'idle: waiting for I/O (DynamoDB answers)';
      return `V8: ${functionName}`;
    }
    if (url.startsWith('node:internal/modules')) return 'Node.js: module loading';
    if (url.startsWith('node:')) return 'Node.js: core modules';
    if (!url.startsWith('file:')) return url;
    const file = fileURLToPath(url);
    if (file.endsWith('probe.cjs')) return 'bench harness';
    const entry = mapOf(file)?.findEntry(lineNumber, columnNumber);
    if (entry && 'originalSource' in entry) return origin(entry.originalSource);
    return `top level of ${file.split('/').slice(-2).join('/')}`;
  };
}

/**
 * Time of cold starts by where the code comes from: `runs` fresh processes with `--cpu-prof`, the
 * samples taken between the start of the handler's load and the end of its first call, each
 * sample's function mapped back to its package through the bundles' source maps. Milliseconds per
 * cold start, most first. Code at the top level of a bundle (esbuild hoists the bodies of ES
 * modules there) cannot be told apart by function and counts as the bundle's.
 */
export async function coldStartProfile(
  fixtures: Fixtures,
  subject: Subject,
  runs: number,
): Promise<Array<[string, number]>> {
  const dir = join(BENCH_DIR, 'profiles', subject.name.replace(/[^A-Za-z0-9]+/g, '-'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const classify = classifier();
  const totals = new Map<string, number>();
  for (let i = 0; i < runs; i++) {
    const name = `run-${i}.cpuprofile`;
    const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', name];
    const report = await probe(fixtures, subject, 'cold', await fixtures.event(subject), {
      nodeArgs: [...nodeArgs, '--cpu-prof-interval', '100'],
    });
    const profile = JSON.parse(readFileSync(join(dir, name), 'utf8')) as CpuProfile;
    const kind = new Map(profile.nodes.map((n) => [n.id, classify(n)]));
    const [from, to] = report.window;
    let at = profile.startTime;
    profile.samples.forEach((id, s) => {
      const delta = profile.timeDeltas[s] ?? 0;
      at += delta;
      if (at < from || at > to) return;
      const k = kind.get(id) ?? '?';
      totals.set(k, (totals.get(k) ?? 0) + delta / 1000 / runs);
    });
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}
