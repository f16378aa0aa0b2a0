import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { CreateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoInventory } from '@orders/shared/dynamodb';
import { localDynamoDbClient, startDynamoDb } from '../local/dynamodb/endpoint';
import { type Build, buildApplication, LambdaService } from '../local/lambda/index';
import { loadTemplate, ROOT, tableDefinitions } from '../local/template';

const HELP = `Measures what local/lambda rests on, on this machine:
  npx tsx bench/lambda-environments.ts [--sizes 1,20,100,200] [--burst 200]

1. worker threads vs child processes as execution environments: N started at once, each loading
   the real CreateOrderFunction bundle and its layer (V8's compile cache on for both): time until
   all are ready, memory per environment, and whether running out of memory in one of them takes
   the others down;
2. a burst of concurrent invocations of that bundle through LambdaService (against dynalite),
   with every cold start at once as on Lambda, and with two or one cold start per core at a time.`;

const COMPILE_CACHE = join(tmpdir(), 'local-lambda-compile-cache');

/** Loads the bundle as the runtime does, then says so. */
const LOAD = (file: string) => `
require('node:module').enableCompileCache(${JSON.stringify(COMPILE_CACHE)});
require(${JSON.stringify(file)});
const port = require('node:worker_threads').parentPort;
port ? port.postMessage('ready') : process.send('ready');
setInterval(() => {}, 1 << 30);`;

const OOM = `const hog = []; for (;;) hog.push({ x: Math.random(), y: 'x'.repeat(100) + Math.random() });`;

function pssMb(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) / 1024;
}

/** CPU time a process has used so far (user and system, ms). */
function cpuTimeMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

function rssMb(): number {
  return process.memoryUsage.rss() / 2 ** 20;
}

/** Starts `n` environments of one kind at once; time until all are ready, MB per environment. */
async function startMany(kind: 'thread' | 'process', n: number, build: Build) {
  const built = build.functions.CreateOrderFunction;
  if (!built) throw new Error('No CreateOrderFunction in the build');
  const env = {
    NODE_PATH: build.layerNodeModules,
    ORDERS_TABLE: 'bench',
    INVENTORY_TABLE: 'bench',
    AWS_REGION: 'us-east-1',
  };
  const rssBefore = rssMb();
  const started = performance.now();
  const stops: Array<() => unknown> = [];
  const pids: number[] = [];
  await Promise.all(
    Array.from({ length: n }, () => {
      if (kind === 'thread') {
        const worker = new Worker(LOAD(built.file), { eval: true, env, execArgv: [] });
        stops.push(() => worker.terminate());
        return new Promise((resolve) => worker.once('message', resolve));
      }
      const child = spawn(process.execPath, ['-e', LOAD(built.file)], {
        env,
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      stops.push(() => child.kill('SIGKILL'));
      if (child.pid) pids.push(child.pid);
      return new Promise((resolve) => child.once('message', resolve));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const mb = kind === 'thread' ? rssMb() - rssBefore : pids.reduce((sum, p) => sum + pssMb(p), 0);
  await Promise.all(stops.map((stop) => stop()));
  return { seconds, mbPerEnvironment: mb / n };
}

/**
 * Runs two environments, one of which runs out of heap (64 MB), in a separate Node.js process
 * that exits 0 once the failed one has ended; `trials` such processes at once, as busy as a burst
 * keeps the machine. How many survive.
 */
async function oomIsolation(kind: 'thread' | 'process', trials = 10): Promise<string> {
  const script =
    kind === 'thread'
      ? `const { Worker } = require('node:worker_threads');
         const limits = { resourceLimits: { maxOldGenerationSizeMb: 64 }, eval: true };
         new Worker('setInterval(() => {}, 1000)', limits).unref();
         new Worker(${JSON.stringify(OOM)}, limits).on('error', () => setTimeout(() => process.exit(0), 200));`
      : `const { spawn } = require('node:child_process');
         const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
         spawn(process.execPath, ['--max-old-space-size=64', '-e', ${JSON.stringify(OOM)}], { stdio: 'ignore' })
           .on('exit', () => setTimeout(() => { other.kill(); process.exit(0); }, 200));`;
  const survived = await Promise.all(
    Array.from({ length: trials }, async () => {
      const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
      return (await new Promise((resolve) => child.on('close', resolve))) === 0;
    }),
  );
  return `the rest survived in ${survived.filter(Boolean).length} of ${trials} processes`;
}

/** `count` concurrent POST /orders through the local Lambda service. */
async function burst(count: number, maxConcurrentInits: number, build: Build, dynamoUrl: string) {
  const client = localDynamoDbClient(dynamoUrl);
  const suffix = randomUUID().slice(0, 8);
  const tables: Record<string, string> = {};
  for (const [id, definition] of Object.entries(tableDefinitions(loadTemplate()))) {
    tables[id] = `${id}-${suffix}`;
    await client.send(new CreateTableCommand({ ...definition, TableName: tables[id] }));
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tables[id] });
  }
  const inventory = dynamoInventory(
    DynamoDBDocumentClient.from(client),
    `InventoryTable-${suffix}`,
  );
  for (const sku of ['WIDGET-1', 'GADGET-7']) {
    await inventory.receive({ arrivalId: `seed-${sku}`, sku, quantity: 100_000 }, new Date());
  }
  const built = build.functions.CreateOrderFunction;
  if (!built) throw new Error('No CreateOrderFunction in the build');
  const lambda = new LambdaService({ maxConcurrentInits });
  const fn = lambda.createFunction({
    functionName: 'CreateOrderFunction',
    codeDir: built.dir,
    handler: built.handler,
    timeoutSeconds: 900, // measure how long callers wait, not whether they time out
    memoryMb: 512,
    environment: {
      POWERTOOLS_SERVICE_NAME: 'orders',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      ORDERS_TABLE: `OrdersTable-${suffix}`,
      INVENTORY_TABLE: `InventoryTable-${suffix}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
      AWS_SAM_LOCAL: 'true',
      NODE_PATH: build.layerNodeModules,
    },
  });
  const event = JSON.parse(readFileSync(join(ROOT, 'events', 'create-order.json'), 'utf8'));
  delete event.headers['idempotency-key'];
  const waits: number[] = [];
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: count }, async () => {
      const t = performance.now();
      await fn.invoke(event);
      waits.push(performance.now() - t);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = fn.environments().reduce((sum, e) => sum + (e.pid ? cpuTimeMs(e.pid) : 0), 0);
  await lambda.stop();
  waits.sort((a, b) => a - b);
  return {
    seconds,
    medianWaitS: (waits[Math.floor(waits.length / 2)] ?? 0) / 1000,
    failed: results.filter((r) => r.status === 'rejected').length,
    cpuMsPerEnvironment: cpuMs / fn.usage.coldStarts,
    ...fn.usage,
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1,20,100,200' },
      burst: { type: 'string', default: '200' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(HELP);
  const build = await buildApplication(loadTemplate(), join(ROOT, '.bench', 'lambda-environments'));
  await startMany('process', 1, build); // fills the compile cache
  console.log(`${availableParallelism()} cores\n\nenvironments started at once:`);
  for (const n of values.sizes.split(',').map(Number)) {
    for (const kind of ['thread', 'process'] as const) {
      const { seconds, mbPerEnvironment } = await startMany(kind, n, build);
      console.log(
        `  ${String(n).padStart(4)} ${kind.padEnd(7)} ${seconds.toFixed(2)} s, ${mbPerEnvironment.toFixed(0)} MB each`,
      );
    }
  }
  console.log('\none environment runs out of heap:');
  for (const kind of ['thread', 'process'] as const) {
    console.log(`  ${kind.padEnd(7)} ${await oomIsolation(kind)}`);
  }
  const dynamo = await startDynamoDb({ useContainers: false });
  try {
    const count = Number(values.burst);
    console.log(`\n${count} concurrent invocations of CreateOrderFunction:`);
    for (const inits of [count, 2 * availableParallelism(), availableParallelism()]) {
      const r = await burst(count, inits, build, dynamo.url);
      console.log(
        `  ${String(inits).padStart(4)} cold starts at a time: ${r.seconds.toFixed(1)} s, median wait ${r.medianWaitS.toFixed(1)} s, ${r.coldStarts} cold starts (${r.cpuMsPerEnvironment.toFixed(0)} ms of CPU each), ${r.failed} failed`,
      );
    }
  } finally {
    await dynamo.stop();
  }
}

void main();
