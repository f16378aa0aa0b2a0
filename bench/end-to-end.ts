import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DynamoDBClient, GetItemCommand, paginateQuery } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { START, type StackInfo } from '../local/child-stack';
import { loadOrCreateKeys, mintToken } from '../local/cognito/issuer';
import { ROOT } from '../local/template';
import { BENCH_DIR } from './builds';
import { ADDRESS } from './order-paths';
import { percentile } from './stats';

const aws = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

export interface RateFigures {
  rate: number;
  seconds: number;
  /** Requests sent: rate × seconds, each when it was due (an open loop). */
  requests: number;
  accepted: number;
  /** 429 answers of the API's throttling (the template's DefaultRouteSettings). */
  throttled: number;
  serverErrors: number;
  /** Requests without an answer: connection errors, and no answer within ANSWER_TIMEOUT_MS. */
  failures: number;
  /** Why, counted by reason (see unansweredWhy). */
  failureReasons: string;
  /** How late the load generator sent its latest request, against its schedule (ms). */
  sendLagMs: number;
  /**
   * Latency of the 202 answers as the client saw it, from when each request was due (so a late
   * send counts against the stack, not for it), and as the gateway logged it (ms).
   */
  postP50: number;
  postP99: number;
  gatewayP50: number;
  gatewayP99: number;
  shippedP50: number;
  shippedP99: number;
  notShipped: number;
  /** Cold starts during the run, by function, with their init times (ms). */
  coldStarts: Record<string, number[]>;
  /** CPU time per second of the load, by part of the machine (ms/s; 2 cores give 2,000). */
  cpu: Record<string, number>;
  /**
   * CPU time per accepted order, by part, from the first request until every order shipped (or
   * the wait gave up): what an order costs, whatever the rate; 2,000 ms/s over the sum of the
   * parts is what 2 cores could sustain.
   */
  cpuPerOrder: Record<string, number>;
}

/** CPU time (ms) so far of every thread of the stack, of its child processes and of this one. */
type CpuSample = Map<string, { part: string; ms: number }>;

function cpuSample(stackPid: number): CpuSample {
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  };
  const sample: CpuSample = new Map();
  const tasks = `/proc/${stackPid}/task`;
  if (!existsSync(tasks)) return sample;
  const children: number[] = [];
  for (const tid of readdirSync(tasks)) {
    try {
      const comm = readFileSync(`${tasks}/${tid}/comm`, 'utf8').trim();
      const part =
        comm === 'MainThread' || tid === String(stackPid)
          ? 'stack main thread: gateway, Step Functions, event sources, SNS/SQS'
          : comm === 'WorkerThread'
            ? 'local DynamoDB (its worker thread)'
            : 'stack: V8 and libuv helper threads (GC, compiling, I/O)';
      sample.set(`thread ${tid}`, {
        part,
        ms: ticks(readFileSync(`${tasks}/${tid}/stat`, 'utf8')),
      });
      const kids = readFileSync(`${tasks}/${tid}/children`, 'utf8').trim();
      if (kids) children.push(...kids.split(' ').map(Number));
    } catch {
      // the thread ended meanwhile
    }
  }
  for (const pid of children) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const runtime = cmdline.findIndex((a) => a.endsWith('runtime.cjs'));
      const part =
        runtime >= 0
          ? `Lambda: ${String(cmdline[runtime + 1])
              .split('/')
              .pop()}`
          : 'stack: other child processes (the esbuild service)';
      const ms = ticks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      sample.set(`process ${pid}`, { part, ms });
    } catch {
      // the environment ended meanwhile
    }
  }
  const self = process.cpuUsage();
  sample.set('self', {
    part: 'load generator (this process)',
    ms: (self.user + self.system) / 1000,
  });
  // The whole machine's busy time (user, nice, system, irq, softirq), for what the rest took.
  const all = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? [];
  const busy = [1, 2, 3, 6, 7].reduce((n, i) => n + Number(all[i] ?? 0), 0);
  sample.set('machine', { part: MACHINE, ms: busy * 10 });
  return sample;
}

const MACHINE = 'the whole machine';
/** Where CPU on the machine that is neither the stack's nor the load generator's is counted. */
export const OTHERS = 'other processes on this machine (not the stack, not the benchmark)';

/**
 * CPU time by part between two samples, divided by `per` (seconds, or orders). A thread or an
 * environment that ended in between is left out (its last share is lost, a few ms at most with
 * environments kept for 60 s); one that started counts from zero.
 */
function cpuBetween(after: CpuSample, before: CpuSample, per: number): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const [id, { part, ms }] of after) {
    parts[part] = (parts[part] ?? 0) + (ms - (before.get(id)?.ms ?? 0)) / per;
  }
  const { [MACHINE]: machine = 0, ...ours } = parts;
  const others = machine - Object.values(ours).reduce((a, b) => a + b, 0);
  return { ...ours, [OTHERS]: Math.max(0, others) };
}

async function until(check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** Why requests went unanswered, counted by reason: ` (ECONNRESET × 1)`, or nothing. */
function unansweredWhy(answers: Answer[]): string {
  const reasons = new Map<string, number>();
  for (const a of answers) if (a.error) reasons.set(a.error, (reasons.get(a.error) ?? 0) + 1);
  return reasons.size === 0 ? '' : ` (${[...reasons].map(([r, n]) => `${r} × ${n}`).join(', ')})`;
}

/** How long the load generator waits for an answer before counting the request as failed. */
const ANSWER_TIMEOUT_MS = 30_000;

interface Answer {
  /** The HTTP status; 0 when no answer came (connection error or ANSWER_TIMEOUT_MS). */
  status: number;
  /** Why no answer came: the error's code or message. */
  error?: string;
  /** From when the request was due to its answer (ms). */
  ms: number;
}

/**
 * An open-loop load: `rate` requests a second for `seconds` (their bodies taken in turn from
 * `bodies`), the i-th sent when it is due
 * (i / rate s after the start) whether or not earlier ones have been answered, each on a free
 * keep-alive connection or a new one (no limit). A closed loop, where each connection waits for
 * its answer before sending again, sends less as the server slows down, and so measures a lighter
 * load than it claims (the previous version of this bench, at 200/s, sent 36/s). Latency counts
 * from when a request was due, so that the generator falling behind its schedule (reported as
 * `lagMs`) adds to the latency instead of hiding it.
 */
async function openLoop(
  target: { url: string; headers: Record<string, string>; bodies: string[] },
  rate: number,
  seconds: number,
): Promise<{ answers: Answer[]; lagMs: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const bodies = target.bodies.map((b) => Buffer.from(b));
  const answers: Answer[] = [];
  const inFlight: Array<Promise<void>> = [];
  let sent = 0;
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const body = bodies[sent++ % bodies.length] as Buffer;
      const headers = { ...target.headers, 'content-length': String(body.length) };
      const answer = (status: number, err?: NodeJS.ErrnoException) => {
        answers.push({
          status,
          ms: performance.now() - due,
          error: err && (err.code ?? err.message),
        });
        resolve();
      };
      const req = request(target.url, { method: 'POST', headers, agent }, (res) => {
        res.resume();
        res.on('end', () => answer(res.statusCode ?? 0));
        res.on('error', (err) => answer(0, err));
      });
      req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error('no answer in time')));
      req.on('error', (err) => answer(0, err));
      req.end(body);
    });
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now();
  let lagMs = 0;
  await new Promise<void>((done) => {
    let next = 0;
    const tick = () => {
      const now = performance.now();
      for (; next < total && start + next * interval <= now; next++) {
        const due = start + next * interval;
        lagMs = Math.max(lagMs, now - due);
        inFlight.push(send(due));
      }
      if (next < total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
      else done();
    };
    tick();
  });
  await Promise.all(inFlight);
  agent.destroy();
  return { answers, lagMs };
}

/**
 * `npm start`'s program in a child process on free ports with a state directory of its own, as
 * local/child-stack.ts starts it for the end-to-end tests, with its log kept as lines, the only
 * form the bench reads it in. (spawnLocalStack keeps the log as one string and looks for its READY
 * line in all of it at every chunk, for as long as the stack runs: at the thousands of lines a
 * minute of load writes, that took the load generator most of a core.)
 */
async function startStack(nodeOptions: string) {
  const stateDir = mkdtempSync(join(tmpdir(), 'orders-bench-'));
  const child = spawn(
    process.execPath,
    [...START, '--any-ports', '--no-seed', '--state-dir', stateDir],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${nodeOptions}`.trim(),
        AWS_ENDPOINT_URL_DYNAMODB: '',
        DYNAMODB_ENDPOINT: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const info = await new Promise<StackInfo>((resolve, reject) => {
    const fail = (why: string) => {
      child.kill();
      reject(new Error(`The stack ${why}:\n${lines.join('\n')}`));
    };
    const timer = setTimeout(() => fail('did not start in 60 s'), 60_000);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (!line.startsWith('READY ')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('READY '.length)));
      });
    }
    void exited.then((code) => fail(`exited with ${code}`));
  });
  return {
    info,
    stateDir,
    pid: child.pid as number,
    lines,
    /**
     * Stops the stack as Ctrl-C does (which writes its CPU profile), waits for it to end, and
     * keeps its log in .bench/local-stack.log.
     */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
      writeFileSync(join(BENCH_DIR, 'local-stack.log'), `${lines.join('\n')}\n`);
    },
  };
}

/**
 * The application as `npm start` runs it (its own process tree), at constant arrival rates of
 * POST /orders, an open loop (see openLoop), each rate's orders spread in turn over `skus` SKUs of
 * their own. For each rate: the answers by status, the latency
 * of the 202s as the client saw it and as the gateway logged it, the time from 202 to SHIPPED
 * from the orders' own timestamps, the cold starts the run caused, and where the machine's CPU
 * went.
 */
export async function measureRates(
  rates: number[],
  seconds: number,
  skus: number,
  log: (l: string) => void,
) {
  // The stack's own threads are profiled for the whole run (written when it stops), every 10 ms:
  // enough samples for shares over minutes, at a tenth of the profiler's CPU at its default 1 ms.
  const profiles = join(BENCH_DIR, 'profiles', 'local-stack');
  rmSync(profiles, { recursive: true, force: true });
  const profiling = `--cpu-prof --cpu-prof-dir=${profiles} --cpu-prof-interval=10000`;
  const running = await startStack(profiling);
  const { info } = running;
  const pid = running.pid;
  const keys = await loadOrCreateKeys(join(running.stateDir, 'issuer-keys.json'));
  const sqs = new SQSClient({ ...aws, endpoint: info.messagingUrl });
  const db = new DynamoDBClient({ ...aws, endpoint: info.dynamodb.url });
  const ordersOf = async (customer: string) => {
    const found: Array<Record<string, unknown>> = [];
    const pages = paginateQuery(
      { client: db },
      {
        TableName: info.dynamodb.tables.OrdersTable,
        IndexName: 'byCustomer',
        KeyConditionExpression: 'gsi1pk = :c',
        ExpressionAttributeValues: { ':c': { S: `CUSTOMER#${customer}` } },
      },
    );
    for await (const page of pages) found.push(...(page.Items ?? []).map((i) => unmarshall(i)));
    return found;
  };
  const stock = async (sku: string, quantity: number) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: info.queues.StockArrivalsQueue,
        MessageBody: JSON.stringify({ arrivalId: `bench-${sku}`, sku, quantity }),
      }),
    );
    const key = { pk: { S: `STOCK#${sku}` } };
    const table = info.dynamodb.tables.InventoryTable;
    await until(
      async () =>
        (await db.send(new GetItemCommand({ TableName: table, Key: key }))).Item !== undefined,
      20_000,
    );
  };
  const post = (token: string, sku: string) =>
    fetch(`${info.apiUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ sku, quantity: 1 }], shippingAddress: ADDRESS }),
    });

  try {
    // A running system: one environment of each function of the order path is warm.
    await stock('WARM-1', 1000);
    const warm = await mintToken(keys, {
      issuer: info.issuer,
      sub: 'bench-warm',
      scopes: ['orders/write'],
    });
    await Promise.all(Array.from({ length: 4 }, () => post(warm, 'WARM-1')));
    await until(
      async () => (await ordersOf('bench-warm')).every((o) => o.status === 'SHIPPED'),
      30_000,
    );

    const figures: RateFigures[] = [];
    for (const rate of rates) {
      const customer = `bench-rate-${rate}`;
      const catalogue = Array.from({ length: skus }, (_, i) => `RATE-${rate}-${i + 1}`);
      for (const sku of catalogue) await stock(sku, Math.ceil((rate * seconds * 2) / skus));
      const token = await mintToken(keys, {
        issuer: info.issuer,
        sub: customer,
        scopes: ['orders/write'],
        expiresIn: 3600,
      });
      const logFrom = running.lines.length;
      const cpuBefore = cpuSample(pid);
      const cpuFrom = performance.now();
      const { answers, lagMs } = await openLoop(
        {
          url: `${info.apiUrl}/orders`,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          bodies: catalogue.map((sku) =>
            JSON.stringify({ items: [{ sku, quantity: 1 }], shippingAddress: ADDRESS }),
          ),
        },
        rate,
        seconds,
      );
      // Per second of the whole run, the wait for its last answers included.
      const cpu = cpuBetween(cpuSample(pid), cpuBefore, (performance.now() - cpuFrom) / 1000);
      const gateway = running.lines
        .slice(logFrom)
        .map((line) => /POST \/orders → 202 \([^)]*?(\d+) ms\)/.exec(line)?.[1])
        .filter((ms) => ms !== undefined)
        .map(Number);
      const accepted = answers.filter((a) => a.status === 202);
      await until(async () => {
        const orders = await ordersOf(customer);
        return orders.length >= accepted.length && orders.every((o) => o.status === 'SHIPPED');
      }, 120_000);
      const cpuPerOrder = cpuBetween(cpuSample(pid), cpuBefore, accepted.length);
      const coldStarts: Record<string, number[]> = {};
      for (const line of running.lines.slice(logFrom)) {
        const [, fn, ms] = /(\w+): cold start, init (\d+) ms/.exec(line) ?? [];
        if (fn) coldStarts[fn] = [...(coldStarts[fn] ?? []), Number(ms)];
      }
      const orders = await ordersOf(customer);
      const shipped = orders
        .filter((o) => o.status === 'SHIPPED')
        .map(
          (o) =>
            Date.parse(String((o.shipment as { shippedAt: string }).shippedAt)) -
            Date.parse(String(o.createdAt)),
        );
      const f: RateFigures = {
        rate,
        seconds,
        requests: answers.length,
        accepted: accepted.length,
        throttled: answers.filter((a) => a.status === 429).length,
        serverErrors: answers.filter((a) => a.status >= 500).length,
        failures: answers.filter((a) => a.status === 0).length,
        failureReasons: unansweredWhy(answers),
        sendLagMs: lagMs,
        postP50: percentile(
          accepted.map((a) => a.ms),
          50,
        ),
        postP99: percentile(
          accepted.map((a) => a.ms),
          99,
        ),
        gatewayP50: percentile(gateway, 50),
        gatewayP99: percentile(gateway, 99),
        shippedP50: percentile(shipped, 50),
        shippedP99: percentile(shipped, 99),
        notShipped: orders.length - shipped.length,
        coldStarts,
        cpu,
        cpuPerOrder,
      };
      const ms = (n: number) => Math.round(n);
      log(
        `${rate}/s: ${f.requests} sent (lag ≤ ${ms(f.sendLagMs)} ms), ${f.accepted} accepted, ${f.throttled} throttled, ${f.serverErrors} 5xx, ${f.failures} unanswered${f.failureReasons}; POST p50 ${ms(f.postP50)} p99 ${ms(f.postP99)} ms; 202→SHIPPED p50 ${ms(f.shippedP50)} p99 ${ms(f.shippedP99)} ms, ${f.notShipped} not shipped; CPU ${ms(Object.entries(cpuPerOrder).reduce((n, [k, v]) => (k === OTHERS ? n : n + v), 0))} ms per order`,
      );
      figures.push(f);
    }
    await running.stop();
    return {
      rates: figures,
      mainThread: busyTime(profiles, pid, (file) => file.includes(`.${pid}.0.`)),
      // The worker threads are numbered in the order they start; DynamoDB's is the one running dynalite.
      dynamodb: busyTime(
        profiles,
        pid,
        (file, text) => !file.includes(`.${pid}.0.`) && text.includes('/node_modules/dynalite/'),
      ),
    };
  } finally {
    sqs.destroy();
    db.destroy();
    await running.stop();
  }
}

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
  children?: number[];
}

/**
 * Where a thread of the stack spent its busy time (idle left out), from its CPU profile (the first
 * of the process's `CPU.<date>.<pid>.<thread>.<n>.cpuprofile` files `isThread` picks): for each
 * sample, the file of local/ that was running, and the package it had called, if any
 * (`local/stepfunctions/interpreter.ts → aws-local-stepfunctions`). Shares of the busy time.
 */
function busyTime(
  dir: string,
  pid: number,
  isThread: (file: string, text: string) => boolean,
): Array<[string, number]> {
  if (!existsSync(dir)) return [];
  const text = readdirSync(dir)
    .filter((file) => file.includes(`.${pid}.`))
    .map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8') }))
    .find((p) => isThread(p.file, p.text))?.text;
  if (!text) return [];
  const profile = JSON.parse(text) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
  const packageOf = (url: string) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  const labels = new Map<number, string>();
  const label = (id: number): string => {
    let called: string | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const { url, functionName } = nodes.get(at)?.callFrame ?? { url: '', functionName: '' };
      if (url.includes('/local/')) {
        const own = url.slice(url.indexOf('/local/') + 1);
        return called ? `${own} → ${called}` : own;
      }
      called = packageOf(url) ?? called;
      if (at === id && !url) called = `V8: ${functionName}`;
    }
    return called ?? 'Node.js core and the event loop';
  };
  const busy = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    if (nodes.get(id)?.callFrame.functionName === '(idle)') return;
    if (!labels.has(id)) labels.set(id, label(id));
    const l = labels.get(id) as string;
    busy.set(l, (busy.get(l) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...busy.values()].reduce((a, b) => a + b, 0);
  return [...busy].map(([l, us]): [string, number] => [l, us / total]).sort((a, b) => b[1] - a[1]);
}
