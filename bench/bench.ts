import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadTemplate, ROOT } from '../local/template';
import { costPerMillion, PRICES } from './cost';
import { measureRates, measureScaling, measureWorkPerOrder, type PathWork } from './end-to-end';
import { type FunctionFigures, measureFunctions } from './functions';
import { median } from './stats';
import { buildVariants, type VariantName } from './variants';

/**
 * `npm run bench`: builds the functions three ways and measures them, runs the local stack at
 * fixed arrival rates, counts the work per order, checks how reads and restocks scale, and
 * prices a million orders. Prints as it goes and writes bench/results/latest.md.
 * Knobs (environment): BENCH_RATES=10,25,50,100 BENCH_SECONDS=20 BENCH_COLD_RUNS=30
 * BENCH_FIRST_RUNS=10 BENCH_WARM_CALLS=1000 BENCH_WORK_ORDERS=20 BENCH_SKIP=scaling,...
 */
const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const rates = env('BENCH_RATES', '10,25,50,100').split(',').map(Number);
const seconds = Number(env('BENCH_SECONDS', '20'));
const skip = new Set(env('BENCH_SKIP', '').split(',').filter(Boolean));
const log = (line: string) => console.log(`  ${line}`);
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const kb = (n: number) => `${(n / 1024).toFixed(1)}`;
const usd = (n: number) => `$${n.toFixed(2)}`;

async function main() {
  const started = Date.now();
  const out: string[] = [
    '# Benchmark results',
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node.js ${process.version}; ${new Date().toISOString()}.`,
    'Produced by `npm run bench` (bench/bench.ts). Local figures: dynalite, fauxqs and the local stack on one machine, not AWS.',
    '',
  ];

  console.log('Building the three variants');
  const variants = await buildVariants();

  console.log('Measuring each function (fresh processes)');
  const fn = await measureFunctions(variants, {
    coldRuns: Number(env('BENCH_COLD_RUNS', '30')),
    firstRuns: Number(env('BENCH_FIRST_RUNS', '10')),
    warmCalls: Number(env('BENCH_WARM_CALLS', '1000')),
    log,
  });
  out.push(...functionTables(fn));

  let rateFigures: Awaited<ReturnType<typeof measureRates>> = [];
  if (!skip.has('rates')) {
    console.log(`End to end at ${rates.join(', ')} orders/s for ${seconds} s each`);
    rateFigures = await measureRates(rates, seconds, log);
    const sustained = rateFigures
      .filter((r) => r.postP99 < 50 && r.errors === 0)
      .map((r) => r.rate);
    out.push(
      '## End to end through the local stack',
      '',
      `Constant arrival rate (autocannon \`overallRate\`), ${seconds} s per rate, \`POST /orders\` with a JWT, one SKU in stock.`,
      '',
      '| orders/s | requests | errors | POST p50 ms | POST p99 ms | 202→SHIPPED p50 ms | 202→SHIPPED p99 ms | not shipped |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rateFigures.map(
        (r) =>
          `| ${r.rate} | ${r.requests} | ${r.errors} | ${r.postP50} | ${r.postP99} | ${ms(r.shippedP50)} | ${ms(r.shippedP99)} | ${r.unshipped} |`,
      ),
      '',
      `Highest rate sustained with POST p99 under 50 ms and no errors: ${sustained.length ? `${Math.max(...sustained)} orders/s` : 'none of the rates tried'}.`,
      "202→SHIPPED includes the stream trigger's batching window (`MaximumBatchingWindowInSeconds: 1` in the template).",
      '',
    );
  }

  console.log('Work per order');
  const workOrders = Number(env('BENCH_WORK_ORDERS', '20'));
  const work = await measureWorkPerOrder(workOrders, log);
  out.push(...workTable(work.inStock, work.restocked, workOrders));

  if (!skip.has('scaling')) {
    console.log('Scaling');
    const scaling = await measureScaling(log);
    const [l10, , l10k] = scaling.list;
    const [r1, r100, r1000] = scaling.restock;
    out.push(
      '## Scaling',
      '',
      '| customer orders | GET /orders first page p50 ms | p99 ms |',
      '|---:|---:|---:|',
      ...scaling.list.map((l) => `| ${l.orders} | ${ms(l.p50)} | ${ms(l.p99)} |`),
      '',
      `First page flat as intended (a Query with Limit on the byCustomer index): ${l10 && l10k && l10k.p50 < l10.p50 * 2 + 2 ? 'yes' : 'no'} (${ms(l10?.p50 ?? NaN)} ms at 10 orders, ${ms(l10k?.p50 ?? NaN)} ms at 10,000).`,
      '',
      '| backordered orders for the SKU | restock invocation ms | ms per order |',
      '|---:|---:|---:|',
      ...scaling.restock.map(
        (r) => `| ${r.backordered} | ${r.ms.toFixed(0)} | ${(r.ms / r.backordered).toFixed(1)} |`,
      ),
      '',
      `Restock linear as intended (each order: read, reserve, status, start, unindex): ${r100 && r1000 && r1000.ms / 1000 < (r100.ms / 100) * 2 ? 'yes' : 'no'} (${((r100?.ms ?? 0) / 100).toFixed(1)} ms per order at 100, ${((r1000?.ms ?? 0) / 1000).toFixed(1)} at 1,000; ${r1?.ms.toFixed(0)} ms for one).`,
      '',
    );
  }

  out.push(...costTables(work.inStock, work.restocked, workOrders));
  out.push(`Run time: ${((Date.now() - started) / 1000).toFixed(0)} s.`, '');

  const file = join(ROOT, 'bench', 'results', 'latest.md');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(file, out.join('\n'));
  console.log(`\n${out.join('\n')}\nWritten to ${file}`);
  process.exit(0);
}

function functionTables(fn: Record<VariantName, Record<string, FunctionFigures>>) {
  const ids = Object.keys(fn.layered).filter((id) => id !== 'AddTokenScopesFunction');
  const avg = (v: VariantName, pick: (f: FunctionFigures) => number) =>
    median(ids.map((id) => pick(fn[v][id] as FunctionFigures)));
  const cold = (v: VariantName) => avg(v, (f) => f.coldLoad.p50);
  const fasterThanUnbundled = 1 - cold('layered') / cold('unbundled');
  const overBundled = cold('layered') / cold('bundled') - 1;
  const rows = (v: VariantName) =>
    Object.entries(fn[v]).map(
      ([id, f]) =>
        `| ${id} | ${kb(f.ownBytes)} / ${kb(f.ownGzip)} | ${kb(f.withLayerBytes)} / ${kb(f.withLayerGzip)} | ${ms(f.coldLoad.p50)} / ${ms(f.coldLoad.p90)} | ${ms(f.firstInvocation.p50)} / ${ms(f.firstInvocation.p90)} | ${f.warm.p50.toFixed(2)} / ${f.warm.p99.toFixed(2)} |`,
    );
  const header = [
    '| function | own code KiB raw / gzip | with layer KiB raw / gzip | cold load ms p50 / p90 | first invocation ms p50 / p90 | warm ms p50 / p99 |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  return [
    '## Per function',
    '',
    `Ratios (median over the functions of each one's cold-load p50; AddTokenScopes, which loads no shared code, left out):`,
    '',
    `- layered vs unbundled (compiled TypeScript loading node_modules): **${(fasterThanUnbundled * 100).toFixed(0)}% faster** (target: at least 35%)`,
    `- layered vs everything bundled per function, no layer: **${overBundled >= 0 ? `${(overBundled * 100).toFixed(0)}% slower` : `${(-overBundled * 100).toFixed(0)}% faster`}** (target: within 10%)`,
    '',
    'Cold load: `require()` of the handler module in a fresh Node.js process. First invocation: load plus the first call against the embedded DynamoDB. Warm: later calls in the same process with the same event (for workflow tasks, that is a retry: the idempotent path).',
    '',
    '### Layered (what `sam build` deploys)',
    '',
    ...header,
    ...rows('layered'),
    '',
    '### Baseline: everything bundled into each function, no layer',
    '',
    ...header,
    ...rows('bundled'),
    '',
    '### Baseline: unbundled (compiled TypeScript, packages from node_modules)',
    '',
    ...header,
    ...rows('unbundled'),
    '',
  ];
}

function workTable(inStock: PathWork, restocked: PathWork, count: number) {
  const per = (n: number) => (n / count).toFixed(2);
  const invocations = (w: PathWork) =>
    Object.entries(w.functions)
      .filter(([, f]) => f.invocations > 0)
      .map(([id, f]) => `${id.replace('Function', '')} ×${per(f.invocations)}`)
      .join(', ');
  return [
    '## Work per order',
    '',
    `Averages over ${count} orders per path, placed one at a time on warm functions. Capacity units from \`ReturnConsumedCapacity\` (dynalite's count; failed conditional writes, which DynamoDB also bills, are not counted).`,
    '',
    '| | in stock | backordered, then restocked |',
    '|---|---:|---:|',
    `| DynamoDB write units | ${per(inStock.writeUnits)} | ${per(restocked.writeUnits)} |`,
    `| DynamoDB read units | ${per(inStock.readUnits)} | ${per(restocked.readUnits)} |`,
    `| workflow executions | ${per(inStock.executions)} | ${per(restocked.executions)} |`,
    `| state transitions | ${per(inStock.transitions)} | ${per(restocked.transitions)} |`,
    `| SNS publishes | ${per(inStock.snsPublishes)} | ${per(restocked.snsPublishes)} |`,
    `| SQS requests (send, receive, delete) | ${per(inStock.sqsRequests + inStock.sqsSends)} | ${per(restocked.sqsRequests + restocked.sqsSends)} |`,
    `| Lambda invocations | ${invocations(inStock)} | ${invocations(restocked)} |`,
    '',
  ];
}

function costTables(inStock: PathWork, restocked: PathWork, count: number) {
  const template = loadTemplate();
  const tasks = [
    'ProcessOrderFunction',
    'ShipOrderFunction',
    'BackorderOrderFunction',
    'FailOrderFunction',
  ];
  const workflowMs = (w: PathWork) =>
    tasks.reduce((sum, id) => sum + (w.functions[id]?.durationMs ?? 0), 0) /
    Math.max(1, w.executions);
  const a = costPerMillion(inStock, count, workflowMs(inStock));
  const b = costPerMillion(restocked, count, workflowMs(restocked));
  return [
    '## Cost per million orders (AWS, us-east-1)',
    '',
    `From the template (${template.Globals.Function.MemorySize} MB, ${template.Globals.Function.Architectures[0]}, workflow ${template.Parameters.WorkflowType.Default} by default) and the work per order above; prices in bench/cost.ts with their source pages. Lambda durations are local warm wall times (an estimate). Free tiers, storage, logs and data transfer are left out.`,
    '',
    '| item | in stock | backordered, then restocked |',
    '|---|---:|---:|',
    ...a.lines.map(
      (l, i) => `| ${l.item} | ${usd(l.perMillion)} | ${usd(b.lines[i]?.perMillion ?? 0)} |`,
    ),
    `| Step Functions Standard (state transitions) | ${usd(a.standard)} | ${usd(b.standard)} |`,
    `| Step Functions Express (requests + duration) | ${usd(a.express)} | ${usd(b.express)} |`,
    `| **total with Standard** | **${usd(a.totalStandard)}** | **${usd(b.totalStandard)}** |`,
    `| **total with Express** | **${usd(a.totalExpress)}** | **${usd(b.totalExpress)}** |`,
    '',
    `Prices used: Lambda $${PRICES.lambdaRequest * 1e6}/M requests and $${PRICES.lambdaArmGbSecond}/GB-s (Arm); Standard $${PRICES.stepFunctionsStandardTransition * 1000}/1,000 transitions; Express $${PRICES.stepFunctionsExpressRequest * 1e6}/M + $${PRICES.stepFunctionsExpressGbSecond}/GB-s; DynamoDB on demand $${PRICES.dynamoDbWriteRequestUnit * 1e6}/M writes, $${PRICES.dynamoDbReadRequestUnit * 1e6}/M reads; SNS $${PRICES.snsPublish * 1e6}/M; SQS $${PRICES.sqsRequest * 1e6}/M; HTTP API $${PRICES.httpApiRequest * 1e6}/M.`,
    '',
  ];
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
