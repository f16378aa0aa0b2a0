import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { BENCH_DIR, type Subject } from './builds';
import { type Fixtures, NoFixtureError } from './fixtures';
import { type DynamoWork, dynamoWork, median, percentile } from './stats';

const run = promisify(execFile);
const PROBE = join(__dirname, 'probe.cjs');

export interface ProbeReport {
  loadMs: number;
  firstMs: number;
  /** What the first call answered: `ok`, `HTTP 202`, or the error. */
  outcome: string;
  /** Start and end of load + first call on the monotonic clock (µs), as CPU profiles count. */
  window: [number, number];
  times?: number[];
  /** Per warm call, the time a request to a service was outstanding (ms). */
  waits?: number[];
}

export interface SubjectFigures {
  subject: Subject;
  /** Module load + first invocation, one per fresh process (ms). */
  cold: number[];
  load: number[];
  warm: number[];
  /** Per warm call, its own time: the call less the time it waited on DynamoDB (ms). */
  warmOwn: number[];
  outcome: string;
  /** The DynamoDB work of the first invocation on fresh data (the step's round trips). */
  step?: DynamoWork;
}

/** Loads and calls a subject in a fresh Node.js process (`node` flags in `nodeArgs`). */
export async function probe(
  fixtures: Fixtures,
  subject: Subject,
  mode: 'cold' | 'warm',
  event: unknown,
  options: { calls?: number; nodeArgs?: string[]; warmEvents?: unknown[] } = {},
): Promise<ProbeReport> {
  const eventFile = join(
    BENCH_DIR,
    'events',
    `${subject.file.replace(/[^A-Za-z0-9]+/g, '-')}.json`,
  );
  mkdirSync(dirname(eventFile), { recursive: true });
  writeFileSync(eventFile, JSON.stringify(event));
  const warmFile = eventFile.replace(/\.json$/, '.warm.json');
  if (options.warmEvents) writeFileSync(warmFile, JSON.stringify(options.warmEvents));
  const { stdout } = await run(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      PROBE,
      mode,
      subject.file,
      eventFile,
      String(options.calls ?? 0),
      ...(options.warmEvents ? [warmFile] : []),
    ],
    {
      env: await fixtures.environment(subject),
      cwd: dirname(subject.file),
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('PROBE '));
  if (!line) throw new Error(`${subject.name}: the probe printed no result:\n${stdout}`);
  return JSON.parse(line.slice('PROBE '.length)) as ProbeReport;
}

/** Fisher-Yates, so no subject always runs right after the same one. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Cold starts: `coldRuns` rounds, each running every subject once in a fresh process, in a new
 * random order per round, so that whatever else loads the machine hits every subject alike. The
 * first round also records each function's DynamoDB work on fresh data (its own tables, so the
 * snapshot around one process is that process's work). Then warm: `warmCalls` calls in one
 * process per subject, after its first call, each with its own event on fresh data (a new order
 * to process, ship or fail...), so warm calls take the function's usual path, not the path of a
 * repeated event.
 */
export async function measureFunctions(
  subjects: Subject[],
  fixtures: Fixtures,
  options: { coldRuns: number; warmCalls: number; log: (line: string) => void },
): Promise<Map<Subject, SubjectFigures>> {
  // A function the bench has no event for (one added to the template since) is left out, and said so.
  const measured: Subject[] = [];
  for (const subject of subjects) {
    try {
      await fixtures.event(subject);
      measured.push(subject);
    } catch (err: unknown) {
      if (!(err instanceof NoFixtureError)) throw err;
      options.log(`${subject.name}: not measured (${err.message})`);
    }
  }
  const figures = new Map<Subject, SubjectFigures>(
    measured.map((s) => [
      s,
      { subject: s, cold: [], load: [], warm: [], warmOwn: [], outcome: '' },
    ]),
  );
  for (let round = 0; round < options.coldRuns; round++) {
    for (const subject of shuffled(measured)) {
      const f = figures.get(subject) as SubjectFigures;
      const event = await fixtures.event(subject);
      const before = await fixtures.dynamodb.usage();
      const report = await probe(fixtures, subject, 'cold', event);
      if (round === 0) {
        f.step = dynamoWork(await fixtures.dynamodb.usage(), before);
        f.outcome = report.outcome;
      }
      f.cold.push(report.loadMs + report.firstMs);
      f.load.push(report.loadMs);
    }
    if ((round + 1) % 10 === 0 || round + 1 === options.coldRuns)
      options.log(`cold starts: ${round + 1} of ${options.coldRuns} rounds`);
  }
  for (const subject of measured) {
    const f = figures.get(subject) as SubjectFigures;
    const event = await fixtures.event(subject);
    const warmEvents: unknown[] = [];
    for (let i = 0; i < options.warmCalls; i++) warmEvents.push(await fixtures.event(subject));
    const report = await probe(fixtures, subject, 'warm', event, {
      calls: options.warmCalls,
      warmEvents,
    });
    f.warm = report.times ?? [];
    f.warmOwn = f.warm.map((ms, i) => ms - (report.waits?.[i] ?? 0));
    options.log(
      `${subject.name.padEnd(42)} cold p50 ${median(f.cold).toFixed(1)} ms, warm p50 ${percentile(f.warm, 50).toFixed(2)} p99 ${percentile(f.warm, 99).toFixed(2)} ms (${f.outcome})`,
    );
  }
  return figures;
}
