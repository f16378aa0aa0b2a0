import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { loadTemplate, ROOT } from '../local/template';
import { BENCH_DIR, buildSubjects, type Subject } from './builds';
import { costPerMillion, PRICES } from './cost';
import { measureRates, OTHERS } from './end-to-end';
import { Fixtures } from './fixtures';
import { measureFunctions, type SubjectFigures } from './functions';
import {
  ITEM_READ_UNITS_PER_SECOND,
  ITEM_WRITE_UNITS_PER_SECOND,
  MAX_ITEM_BYTES,
  measureInFlight,
  measureShards,
} from './hot-sku';
import { measureOrderPaths, type PathWork } from './order-paths';
import { bytesByOrigin, coldStartProfile } from './profile';
import { fixed, median, operationList, percentile, sum, table } from './stats';

/**
 * `npm run bench`: every figure below is measured in this run, on this machine. Knobs
 * (environment variables, defaults in brackets): BENCH_COLD_RUNS [40] fresh processes per
 * function, BENCH_WARM_CALLS [1000], BENCH_PROFILE_RUNS [5] profiled cold starts per function over
 * target, BENCH_PATH_ORDERS [5] orders per path, BENCH_INFLIGHT [1,100,1000,5000],
 * BENCH_INFLIGHT_ORDERS [5], BENCH_SHARDS [4], BENCH_SHARDED_ORDERS [400], BENCH_RATES
 * [10,50,100,200] orders/s, BENCH_SECONDS [15] per rate, BENCH_SKUS [8] SKUs the orders of a rate
 * are spread over; and which sections run (all by default):
 * BENCH_ONLY (a list of functions, paths, hot-sku, rates: only those) or BENCH_SKIP (the same
 * names: all but those). `BENCH_ONLY=rates npm run bench` runs only the end-to-end section, in
 * about 4 minutes. Only a run of every section writes bench/results/latest.md; a partial run
 * writes its sections to .bench/partial-results.md, so latest.md always holds one whole run.
 */
const env = (name: string, fallback: string) => process.env[name] || fallback;
const numbers = (name: string, fallback: string) => env(name, fallback).split(',').map(Number);
const SECTIONS = ['functions', 'paths', 'hot-sku', 'rates'] as const;
const listed = (name: string) => new Set(env(name, '').split(',').filter(Boolean));
const only = listed('BENCH_ONLY');
const skipped = listed('BENCH_SKIP');
for (const name of [...only, ...skipped]) {
  if (!(SECTIONS as readonly string[]).includes(name)) {
    throw new Error(`Unknown bench section "${name}": one of ${SECTIONS.join(', ')}`);
  }
}
const wanted = (section: (typeof SECTIONS)[number]) =>
  (only.size === 0 || only.has(section)) && !skipped.has(section);
const TARGETS = { cold: 1.2, warmP50: 1.2, warmP99: 1.5, layeredOverBundled: 1.1 };

const out: string[] = [];
/** Prints a section as it is measured and keeps it for bench/results/latest.md. */
function emit(lines: string[]) {
  console.log(lines.join('\n'));
  out.push(...lines);
}
const log = (line: string) => console.log(`  ${line}`);

async function main() {
  const started = Date.now();
  emit([
    '# Benchmark results',
    '',
    `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}, ${new Date().toISOString()}. Produced by \`npm run bench\` (bench/bench.ts); every figure and ratio is from this run. Local figures: the embedded DynamoDB, fauxqs and the local stack on one machine shared with other work, not AWS: compare ratios, not milliseconds.`,
    '',
  ]);
  // The end-to-end and hot-SKU sections build what they run themselves.
  const built = wanted('functions') || wanted('paths');
  if (built) console.log('Building the functions as sam build does, the floor and the variants');
  const { subjects, build } = built ? await buildSubjects() : { subjects: [], build: undefined };
  let steps: Map<Subject, SubjectFigures> | undefined;

  if (wanted('functions')) {
    const fixtures = await Fixtures.start();
    try {
      const runs = Number(env('BENCH_COLD_RUNS', '40'));
      const warmCalls = Number(env('BENCH_WARM_CALLS', '1000'));
      console.log(`Per function: ${runs} cold starts each (interleaved), ${warmCalls} warm calls`);
      const figures = await measureFunctions(subjects, fixtures, {
        coldRuns: runs,
        warmCalls,
        log,
      });
      steps = figures;
      emit(functionTables(figures, runs, warmCalls));
      const over = [...figures.values()].filter(
        (f) => f.subject.kind === 'layered' && !meets(f, figures),
      );
      const profileRuns = Number(env('BENCH_PROFILE_RUNS', '5'));
      if (over.length > 0) {
        console.log(`Profiling the cold starts of ${over.map((f) => f.subject.name).join(', ')}`);
        const floor = subjects.find((s) => s.kind === 'floor') as Subject;
        const floorProfile = new Map(await coldStartProfile(fixtures, floor, profileRuns));
        const lines = [
          '### Where the time goes, for each function over target',
          '',
          `CPU profiles (\`--cpu-prof\`, 100 µs) of ${profileRuns} cold starts each, between the start of the handler's load and the end of its first call; each sample's function is mapped to its package through the bundles' source maps. "top level of" a bundle is code esbuild hoisted out of ES modules (schemas built and clients created at load), which a profile of a minified bundle cannot split by module. Bytes per package from the esbuild metafiles of the files the function loads.`,
          '',
        ];
        for (const f of over) {
          const profile = await coldStartProfile(fixtures, f.subject, profileRuns);
          const rows = profile
            .slice(0, 10)
            .map(([k, ms]) => [
              k,
              fixed(floorProfile.get(k) ?? 0),
              fixed(ms),
              fixed(ms - (floorProfile.get(k) ?? 0)),
            ]);
          const bytes = [...bytesByOrigin(f.subject)].sort((a, b) => b[1] - a[1]);
          lines.push(
            `**${f.subject.name}** (cold ${fixed(ratio(f, figures, 'cold'), 2)}×, warm p50 ${fixed(ratio(f, figures, 'warmP50'), 2)}×, warm p99 ${fixed(ratio(f, figures, 'warmP99'), 2)}× the floor)`,
            '',
            ...table(['where (ms per cold start)', 'floor', f.subject.name, 'difference'], rows),
            '',
            `Loads ${fixed(bytes.reduce((n, [, b]) => n + b, 0) / 1024, 0)} KiB of bundled code: ${bytes
              .slice(0, 8)
              .map(([k, b]) => `${k} ${fixed(b / 1024, 0)} KiB`)
              .join(', ')}.`,
            '',
          );
        }
        emit(lines);
      }
    } finally {
      await fixtures.stop();
    }
  }

  let paths: Array<{ name: string; work: PathWork }> = [];
  if (wanted('paths') && build) {
    const count = Number(env('BENCH_PATH_ORDERS', '5'));
    console.log(`Work per order path (${count} orders each, through the local stack)`);
    paths = await measureOrderPaths(build, count, log);
    emit(workTables(steps, paths));
  }

  if (wanted('hot-sku')) {
    const levels = numbers('BENCH_INFLIGHT', '1,100,1000,5000');
    const perLevel = Number(env('BENCH_INFLIGHT_ORDERS', '5'));
    console.log(`Capacity per order against orders in flight on one SKU (${levels.join(', ')})`);
    const inFlight = await measureInFlight(levels, perLevel, log);
    const shards = await measureShards(
      Number(env('BENCH_SHARDS', '4')),
      Number(env('BENCH_SHARDED_ORDERS', '400')),
    );
    emit(hotSkuTables(inFlight, shards, perLevel));
  }

  if (wanted('rates')) {
    const rates = numbers('BENCH_RATES', '10,50,100,200');
    const seconds = Number(env('BENCH_SECONDS', '15'));
    const skus = Number(env('BENCH_SKUS', '8'));
    console.log(`End to end at ${rates.join(', ')} orders/s, ${seconds} s each, ${skus} SKUs`);
    emit(rateTables(await measureRates(rates, seconds, skus, log), seconds, skus));
  }

  if (paths.length > 0) emit(costTables(paths));
  emit([`Run time: ${((Date.now() - started) / 60_000).toFixed(1)} minutes.`, '']);
  const whole = SECTIONS.every(wanted);
  const file = whole
    ? join(ROOT, 'bench', 'results', 'latest.md')
    : join(BENCH_DIR, 'partial-results.md');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, out.join('\n'));
  console.log(`Written to ${file}`);
  process.exit(0);
}

type Measure = 'cold' | 'warmP50' | 'warmP99';
function value(f: SubjectFigures, m: Measure): number {
  if (m === 'cold') return median(f.cold);
  return percentile(f.warm, m === 'warmP50' ? 50 : 99);
}
function floorOf(figures: Map<Subject, SubjectFigures>): SubjectFigures {
  return [...figures.values()].find((f) => f.subject.kind === 'floor') as SubjectFigures;
}
function ratio(f: SubjectFigures, figures: Map<Subject, SubjectFigures>, m: Measure): number {
  return value(f, m) / value(floorOf(figures), m);
}
function meets(f: SubjectFigures, figures: Map<Subject, SubjectFigures>): boolean {
  return (['cold', 'warmP50', 'warmP99'] as const).every((m) => ratio(f, figures, m) <= TARGETS[m]);
}

function functionTables(
  figures: Map<Subject, SubjectFigures>,
  runs: number,
  calls: number,
): string[] {
  const all = [...figures.values()];
  const mark = (f: SubjectFigures, m: Measure) =>
    `${fixed(ratio(f, figures, m), 2)}${ratio(f, figures, m) <= TARGETS[m] ? '' : ' ✗'}`;
  const row = (f: SubjectFigures) => [
    f.subject.name,
    fixed(median(f.cold)),
    fixed(median(f.load)),
    fixed(value(f, 'warmP50'), 2),
    fixed(value(f, 'warmP99'), 2),
    mark(f, 'cold'),
    mark(f, 'warmP50'),
    mark(f, 'warmP99'),
    f.subject.kind === 'layered' ? (meets(f, figures) ? 'yes' : '**no**') : '',
    f.outcome,
  ];
  const headers = [
    'handler',
    'cold start p50 ms',
    'of it, load ms',
    'warm p50 ms',
    'warm p99 ms',
    `cold / floor (≤ ${TARGETS.cold})`,
    `warm p50 / floor (≤ ${TARGETS.warmP50})`,
    `warm p99 / floor (≤ ${TARGETS.warmP99})`,
    'meets all three',
    'first call answered',
  ];
  const layered = all.filter((f) => f.subject.kind === 'layered');
  const pairs = layered.flatMap((f) => {
    const b = all.find(
      (x) => x.subject.kind === 'bundled' && x.subject.fixture === f.subject.fixture,
    );
    return b ? [[f, b] as const] : [];
  });
  const over = pairs.filter(
    ([f, b]) => median(f.cold) / median(b.cold) > TARGETS.layeredOverBundled,
  );
  return [
    '## 1. Each function against the floor',
    '',
    `Cold start = loading the handler module plus its first invocation, in a fresh Node.js ${process.version} process, against the embedded DynamoDB; ${runs} processes per handler, interleaved (every round runs every handler once, in a new random order). \`node:http\` is loaded before the clock starts: the SDK loads it lazily on its first call to a plain-http endpoint such as the local one, where against Lambda's https endpoints it has loaded \`node:https\` with itself. Warm = ${calls} calls in one process after the first, each with its own event on fresh data (a new order to place, process, ship or fail, a new arrival), so warm calls take each function's usual path and its DynamoDB work: a function that writes a transaction is compared with a floor that reads one item. Functions run as \`sam build\` builds them (bundle plus the layer through NODE_PATH) with the template's environment; events are the samples in events/ pointed at fresh data (AuthorizeRequest has none there: an API Gateway authorizer request with a valid token; its first call fetches the issuer's keys from the local issuer over http). The floor is one DocumentClient GetCommand, built with the functions' build options. ✗ marks a ratio over its target.`,
    '',
    ...table(
      headers,
      all.filter((f) => f.subject.kind === 'floor' || f.subject.kind === 'layered').map(row),
    ),
    '',
    `Functions meeting all three targets: ${layered.filter((f) => meets(f, figures)).length} of ${layered.length}.`,
    '',
    "### Warm calls: the function's own time, and the time it waited on DynamoDB",
    '',
    "Each warm call split in two: the time during which a request to the local DynamoDB was outstanding (from the request until its answer was read; requests in parallel count once), and the rest, the function's own time (parsing, validation, building requests and reading answers, logging, metrics). A function that must make more or costlier requests than the floor's one GetItem waits longer; its own time is what our code costs.",
    '',
    ...table(
      [
        'handler',
        'warm p50 ms',
        'of it, waiting on DynamoDB (p50) ms',
        'own time p50 ms',
        'own time p99 ms',
        'own p50 / floor own p50',
        'own p99 / floor own p99',
      ],
      all
        .filter((f) => f.subject.kind === 'floor' || f.subject.kind === 'layered')
        .map((f) => {
          const floor = floorOf(figures);
          const waited = f.warm.map((ms, i) => ms - (f.warmOwn[i] ?? ms));
          return [
            f.subject.name,
            fixed(percentile(f.warm, 50), 2),
            fixed(percentile(waited, 50), 2),
            fixed(percentile(f.warmOwn, 50), 2),
            fixed(percentile(f.warmOwn, 99), 2),
            fixed(percentile(f.warmOwn, 50) / percentile(floor.warmOwn, 50), 2),
            fixed(percentile(f.warmOwn, 99) / percentile(floor.warmOwn, 99), 2),
          ];
        }),
    ),
    '',
    '### Layered (what the template deploys) against everything bundled into each function',
    '',
    `Issue 11: the layered build must stay within ${Math.round((TARGETS.layeredOverBundled - 1) * 100)}% of everything-bundled (cold start p50).`,
    '',
    ...table(
      [
        'function',
        'layered cold p50 ms',
        'all bundled cold p50 ms',
        'layered / bundled',
        'warm p50 ms layered / bundled',
      ],
      pairs.map(([f, b]) => [
        f.subject.name,
        fixed(median(f.cold)),
        fixed(median(b.cold)),
        `${fixed(median(f.cold) / median(b.cold), 2)}${median(f.cold) / median(b.cold) > TARGETS.layeredOverBundled ? ' ✗' : ''}`,
        `${fixed(value(f, 'warmP50'), 2)} / ${fixed(value(b, 'warmP50'), 2)}`,
      ]),
    ),
    '',
    `Median over the functions of layered / bundled: ${fixed(median(pairs.map(([f, b]) => median(f.cold) / median(b.cold))), 2)}; over ${Math.round((TARGETS.layeredOverBundled - 1) * 100)}%: ${over.map(([f]) => f.subject.name).join(', ') || 'none'}.`,
    '',
    '### The price of each option, measured the same way',
    '',
    "Each option is added to the floor (or, for ESM, the floor and CreateOrder built as ES modules), so its price is its difference from the floor. The order schema variants parse the sample POST /orders body with the same rules (zod/mini is the project's own schema and error mapping); the Tracer variant captures the DynamoDB client and wraps the handler in a subsegment, with `_X_AMZN_TRACE_ID` set as Lambda sets it.",
    '',
    ...table(
      [
        'variant',
        'cold start p50 ms',
        'of it, load ms',
        'warm p50 ms',
        'warm p99 ms',
        'cold / floor',
        'warm p50 / floor',
        'warm p99 / floor',
        'KiB loaded',
      ],
      all
        .filter(
          (f) =>
            f.subject.kind === 'option' ||
            f.subject.kind === 'floor' ||
            f.subject.name === 'CreateOrder, all bundled',
        )
        .map((f) => [
          f.subject.name,
          fixed(median(f.cold)),
          fixed(median(f.load)),
          fixed(value(f, 'warmP50'), 2),
          fixed(value(f, 'warmP99'), 2),
          fixed(ratio(f, figures, 'cold'), 2),
          fixed(ratio(f, figures, 'warmP50'), 2),
          fixed(ratio(f, figures, 'warmP99'), 2),
          fixed([...bytesByOrigin(f.subject).values()].reduce((a, b) => a + b, 0) / 1024, 0),
        ]),
    ),
    '',
  ];
}

function workTables(
  steps: Map<Subject, SubjectFigures> | undefined,
  paths: Array<{ name: string; work: PathWork }>,
): string[] {
  const stepRows = [...(steps?.values() ?? [])]
    .filter((f) => f.subject.kind === 'layered' && f.step)
    .map((f) => [
      f.subject.name,
      operationList(f.step?.operations ?? {}),
      Object.values(f.step?.operations ?? {}).reduce((a, b) => a + b, 0),
      fixed(f.step?.readUnits ?? 0),
      fixed(f.step?.writeUnits ?? 0),
    ]);
  const per = (w: PathWork, n: number) => fixed(n / w.orders, 2);
  const pathRows = (pick: (w: PathWork) => string) => paths.map((p) => pick(p.work));
  const row = (label: string, pick: (w: PathWork) => string) => [label, ...pathRows(pick)];
  return [
    '## 2. Round trips and capacity, per step and per order path',
    '',
    "Per step: each function's first invocation on fresh data in section 1 (the sample event: Restock's has two arrivals), DynamoDB requests and capacity units as the local DynamoDB counted them.",
    '',
    ...table(
      ['step (function)', 'DynamoDB requests', 'round trips', 'read units', 'write units'],
      stepRows,
    ),
    '',
    `Per order path: orders placed one at a time through the local stack (POST /orders with a JWT, the stream, the workflow, the queue), averages per order; every function warmed first. The workflow's RecordNotified step is one UpdateItem of the order per execution.`,
    '',
    ...table(
      ['per order', ...paths.map((p) => p.name)],
      [
        row('DynamoDB requests', (w) => operationList(w.dynamodb.operations, w.orders)),
        row('DynamoDB round trips', (w) =>
          per(
            w,
            Object.values(w.dynamodb.operations).reduce((a, b) => a + b, 0),
          ),
        ),
        row('read units', (w) => per(w, w.dynamodb.readUnits)),
        row('write units', (w) => per(w, w.dynamodb.writeUnits)),
        row('Lambda invocations', (w) =>
          per(
            w,
            Object.values(w.functions).reduce((a, f) => a + f.invocations, 0),
          ),
        ),
        row('of which', (w) =>
          Object.entries(w.functions)
            .map(([id, f]) => `${id.replace(/Function$/, '')} ${per(w, f.invocations)}`)
            .join(', '),
        ),
        row('workflow executions', (w) => per(w, w.executions)),
        row('state transitions', (w) => per(w, w.transitions)),
        row('SNS publishes', (w) => per(w, w.snsPublishes)),
        row('SQS requests (send, receives with messages, deletes)', (w) => per(w, w.sqsRequests)),
      ],
    ),
    '',
    'What the local DynamoDB counts, and how it relates to the bill: single-item operations as dynalite reports them (a write is 1 unit per KB of the larger of the old and new item; a strongly consistent read 1 unit per 4 KB, an eventually consistent one half; a Query the items read, 4 KB units); TransactWriteItems 2 units per KB for every item, a ConditionCheck included, and TransactGetItems 2 read units per 4 KB, as the transactions guide documents (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling). Not counted here, and billed by DynamoDB: writes to global secondary indexes (the order item is projected into `byCustomer` (ALL) on every change, and into the sparse `inFlight` (KEYS_ONLY) when its keys are set or removed, an index key change being 2 writes: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes); failed conditional writes (DynamoDB still consumes at least 1 write unit: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate); cancelled transactions (here a short ProcessOrder on the backorder path). Stream reads by Lambda triggers are free in AWS and not counted. So the AWS bill for DynamoDB is this count plus the index writes (about one more unit per order-item write).',
    '',
  ];
}

function hotSkuTables(
  inFlight: Awaited<ReturnType<typeof measureInFlight>>,
  shards: Awaited<ReturnType<typeof measureShards>>,
  perLevel: number,
): string[] {
  const writes = inFlight.map((f) => f.writeUnits);
  const reads = inFlight.map((f) => f.readUnits);
  const spread = (v: number[]) => Math.max(...v) / Math.min(...v) - 1;
  const flat = spread(writes) <= 0.2 && spread(reads) <= 0.2;
  const stockUnits = inFlight[0]?.stockWriteUnits ?? 0;
  const one = ITEM_WRITE_UNITS_PER_SECOND / stockUnits;
  const busiest = Math.max(...shards.perItem.map((s) => s.writeUnits)) / shards.orders;
  const even = stockUnits / shards.shards;
  const item = shards.perItem.reduce((n, s) => n + s.writeUnits, 0);
  return [
    '## 3. A hot SKU: capacity per order against orders in flight',
    '',
    `One SKU with its stock in one item; the given number of orders placed and reserved (holding its stock) and not shipped; then ${perLevel} orders placed, reserved and shipped with the use cases and adapters the functions run (CreateOrder's, ProcessOrder's and ShipOrder's DynamoDB work), units per order as the local DynamoDB counted them.`,
    '',
    ...table(
      [
        'orders in flight on the SKU',
        'write units per order',
        'read units per order',
        'of the writes, on the stock item',
        'stock item size (bytes)',
      ],
      inFlight.map((f) => [
        f.inFlight.toLocaleString('en'),
        fixed(f.writeUnits, 2),
        fixed(f.readUnits, 2),
        fixed(f.stockWriteUnits, 2),
        f.stockItemBytes,
      ]),
    ),
    '',
    `Flat within 20%: **${flat ? 'yes' : 'no'}** (writes vary by ${fixed(spread(writes) * 100, 0)}%, reads by ${fixed(spread(reads) * 100, 0)}%); the stock item stays ${inFlight.map((f) => f.stockItemBytes).join(' / ')} bytes, far from DynamoDB's ${MAX_ITEM_BYTES / 1024} KB item limit.`,
    '',
    '### The per-SKU ceiling',
    '',
    `DynamoDB serves one partition, and so one item, at most ${ITEM_WRITE_UNITS_PER_SECOND.toLocaleString('en')} write units and ${ITEM_READ_UNITS_PER_SECOND.toLocaleString('en')} read units per second (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html); a transactional write costs 2 units per KB. Measured above, an order writes its SKU's stock item once, in ProcessOrder's transaction: ${fixed(stockUnits, 2)} units (shipping writes only the order). The ceiling for a SKU with one stock item is therefore **${fixed(one, 0)} orders/s** (${ITEM_WRITE_UNITS_PER_SECOND} / ${fixed(stockUnits, 0)}); its reads (CreateOrder's eventually consistent catalogue look-up of the first stock item, ½ unit) allow ${fixed(ITEM_READ_UNITS_PER_SECOND / 0.5, 0)}, so writes bind. Split over N stock items (\`inventory.split\`), each order writes one of them, chosen by a hash of the order id: the ceiling is about N × ${fixed(one, 0)} (limited by the busiest item, and by the partitions DynamoDB gives a hot key range, which it splits for heat).`,
    '',
    `Measured with the SKU split over ${shards.shards} items and ${shards.orders} orders (8 at a time), from the inventory table's stream (each change of a stock item after the split is a reservation, 2 units per KB of its larger image):`,
    '',
    ...table(
      ['stock item', 'reservations', 'write units', 'share of the orders'],
      shards.perItem.map((s) => [
        s.key,
        s.reservations,
        s.writeUnits,
        `${fixed((s.reservations / shards.orders) * 100, 0)}%`,
      ]),
    ),
    '',
    `The inventory table's write units over those orders, as the DynamoDB service counted them: ${shards.tableWriteUnits} (the stream's per-item sum: ${item}). The busiest item took ${fixed(busiest, 2)} units per order (an even split: ${fixed(even, 2)}), so this SKU's ceiling is **${fixed(ITEM_WRITE_UNITS_PER_SECOND / busiest, 0)} orders/s** with ${shards.shards} items (${fixed(ITEM_WRITE_UNITS_PER_SECOND / even, 0)} if perfectly even). Other keys an order writes are its own (the order item), except the backorder queue of a short SKU (\`BACKORDER#<sku>\`, one item per waiting order in one partition: only on the backorder path) and the 16 partitions of the \`inFlight\` index shared by all orders.`,
    '',
  ];
}

function rateTables(
  result: Awaited<ReturnType<typeof measureRates>>,
  seconds: number,
  skus: number,
): string[] {
  const { rates, mainThread, dynamodb } = result;
  const at50 = rates.find((r) => r.rate === 50);
  const upTo200 = rates.filter((r) => r.rate <= 200);
  const parts = [...new Set(rates.flatMap((r) => Object.keys(r.cpuPerOrder)))].filter(
    (k) => k !== OTHERS && rates.some((r) => (r.cpuPerOrder[k] ?? 0) >= 0.5),
  );
  const total = (cpu: Record<string, number>) =>
    sum(Object.entries(cpu).flatMap(([k, ms]) => (k === OTHERS ? [] : [ms])));
  const coldStarts = (r: (typeof rates)[number]) => {
    const all = Object.values(r.coldStarts).flat();
    const create = r.coldStarts.CreateOrderFunction ?? [];
    return `${all.length} (CreateOrder ${create.length}${create.length ? `, init p50 ${fixed(median(create), 0)} ms` : ''})`;
  };
  const settings = loadTemplate().Resources.OrdersApi?.Properties?.DefaultRouteSettings;
  return [
    '## 4. End to end under load',
    '',
    `The application as \`npm start\` runs it (its own process tree), POST /orders with a JWT for ${seconds} s per rate as an **open loop**: the i-th request leaves i / rate seconds after the start whether or not earlier ones were answered, on as many connections as that takes (so a slow stack gets the load it is offered, not less); each rate's orders taken in turn from ${skus} SKU${skus === 1 ? '' : 's'} of its own, with plenty of stock (\`BENCH_SKUS\`; a single hot SKU is section 3's subject, and locally it is limited by the local DynamoDB, where a transaction holds its items' locks while the other requests in flight interleave: with one SKU at 50/s, ProcessOrder waited 200 to 400 ms for the stock item, against 30 to 40 ms with eight). POST latency counts from when each request was due, so a load generator behind its schedule (its worst lag is given) adds to it; gateway = the latency the local HTTP API logged for the 202s (authorizer, Lambda invoke, function). 202→SHIPPED from each order's \`createdAt\` and \`shipment.shippedAt\`; not shipped = accepted orders not SHIPPED 120 s after the last answer. 429s are the template's throttling (rate ${settings?.ThrottlingRateLimit}/s, burst ${settings?.ThrottlingBurstLimit}), counted apart from 5xx; no answer within 30 s counts as unanswered. Cold starts: new execution environments of every function during the run.`,
    '',
    ...table(
      [
        'orders/s',
        'sent',
        'send lag ms',
        '202',
        '429',
        '5xx',
        'unanswered',
        'POST p50 ms',
        'POST p99 ms',
        'gateway p50 / p99 ms',
        '202→SHIPPED p50 ms',
        '202→SHIPPED p99 ms',
        'not shipped',
        'cold starts',
      ],
      rates.map((r) => [
        r.rate,
        r.requests,
        fixed(r.sendLagMs, 0),
        r.accepted,
        r.throttled,
        r.serverErrors,
        `${r.failures}${r.failureReasons}`,
        fixed(r.postP50, 0),
        fixed(r.postP99, 0),
        `${fixed(r.gatewayP50, 0)} / ${fixed(r.gatewayP99, 0)}`,
        fixed(r.shippedP50, 0),
        fixed(r.shippedP99, 0),
        r.notShipped,
        coldStarts(r),
      ]),
    ),
    '',
    `No 5xx up to 200/s (issue 9): **${upTo200.every((r) => r.serverErrors === 0 && r.failures === 0) ? 'yes' : 'no'}**. POST p99 under 50 ms at 50 orders/s (issue 9): **${at50 ? (at50.postP99 < 50 ? `yes, ${fixed(at50.postP99, 0)} ms` : `no, ${fixed(at50.postP99, 0)} ms`) : 'not measured'}**.`,
    '',
    "CPU per accepted order, by part of the machine, from the first request of a rate until its last order shipped (ms; a figure that does not depend on the rate says the stack keeps up, and 2,000 ms/s over the total is what 2 cores could sustain), and the CPU used per second while the requests were sent, by this benchmark's processes and by the rest of the machine (other work shares these cores, and its share is the latency figures' margin of error):",
    '',
    ...table(
      ['CPU ms per order', ...rates.map((r) => `${r.rate}/s`)],
      [
        ...parts.map((k) => [k, ...rates.map((r) => fixed(r.cpuPerOrder[k] ?? 0, 1))]),
        ['**total per order**', ...rates.map((r) => `**${fixed(total(r.cpuPerOrder), 1)}**`)],
        [
          'orders/s 2 cores could sustain at that cost',
          ...rates.map((r) => fixed(2000 / total(r.cpuPerOrder), 0)),
        ],
        [
          'CPU ms per second while sending: the stack and the benchmark',
          ...rates.map((r) => fixed(total(r.cpu), 0)),
        ],
        [
          'CPU ms per second while sending: other processes on this machine',
          ...rates.map((r) => fixed(r.cpu[OTHERS] ?? 0, 0)),
        ],
      ],
    ),
    '',
    "The stack's main thread (gateway, Step Functions interpreter, event source mappings, SNS/SQS) by what it was busy with, over the whole run (CPU profile; idle left out; `a → b` is code of local/ a calling the package b):",
    '',
    ...table(
      ['main thread busy in', 'share'],
      mainThread.slice(0, 10).map(([k, v]) => [k, `${fixed(v * 100, 1)}%`]),
    ),
    '',
    "The local DynamoDB's thread, the same way:",
    '',
    ...table(
      ['DynamoDB thread busy in', 'share'],
      dynamodb.slice(0, 6).map(([k, v]) => [k, `${fixed(v * 100, 1)}%`]),
    ),
    '',
  ];
}

function costTables(paths: Array<{ name: string; work: PathWork }>): string[] {
  const template = loadTemplate();
  const costs = paths.map((p) => costPerMillion(p.work));
  const usd = (n: number) => `$${n.toFixed(2)}`;
  return [
    '## 5. Cost per million orders (AWS, us-east-1, on demand)',
    '',
    `From the work per order of section 2 and the template (${template.Globals.Function.MemorySize} MB, ${template.Globals.Function.Architectures[0]}); prices in bench/cost.ts with their source pages. Lambda durations are local (an estimate); DynamoDB units are the local count (index writes, see section 2, add about 10-20% to the DynamoDB lines). Free tiers, storage, logs, X-Ray and data transfer are left out.`,
    '',
    ...table(
      ['per million orders', ...paths.map((p) => p.name)],
      [
        ...(costs[0]?.lines ?? []).map((l, i) => [
          l.item,
          ...costs.map((c) => usd(c.lines[i]?.perMillion ?? 0)),
        ]),
        ['Step Functions Standard (state transitions)', ...costs.map((c) => usd(c.standard))],
        ['Step Functions Express (requests + duration)', ...costs.map((c) => usd(c.express))],
        ['**total with Standard**', ...costs.map((c) => `**${usd(c.totalStandard)}**`)],
        ['**total with Express**', ...costs.map((c) => `**${usd(c.totalExpress)}**`)],
      ],
    ),
    '',
    `Prices: Lambda $${PRICES.lambdaRequest * 1e6}/M requests, $${PRICES.lambdaArmGbSecond}/GB-s (Arm); Standard $${PRICES.stepFunctionsStandardTransition * 1000}/1,000 transitions; Express $${PRICES.stepFunctionsExpressRequest * 1e6}/M + $${PRICES.stepFunctionsExpressGbSecond}/GB-s; DynamoDB $${PRICES.dynamoDbWriteRequestUnit * 1e6}/M write and $${PRICES.dynamoDbReadRequestUnit * 1e6}/M read request units; SNS $${PRICES.snsPublish * 1e6}/M; SQS $${PRICES.sqsRequest * 1e6}/M; HTTP API $${PRICES.httpApiRequest * 1e6}/M.`,
    '',
  ];
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
