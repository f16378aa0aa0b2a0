import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, paginateQuery } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import autocannon from 'autocannon';
import { spawnLocalStack } from '../local/child-stack';
import { loadOrCreateKeys, mintToken } from '../local/cognito/issuer';
import { BENCH_DIR } from './builds';
import { percentile } from './stats';

const aws = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};
const ADDRESS = {
  name: 'Ada Lovelace',
  line1: '12 Analytical Row',
  city: 'London',
  postalCode: 'N1 9GU',
  country: 'GB',
};

export interface RateFigures {
  rate: number;
  seconds: number;
  requests: number;
  accepted: number;
  /** 429 answers of the API's throttling (the template's DefaultRouteSettings). */
  throttled: number;
  serverErrors: number;
  /** Connection errors and timeouts of the load generator. */
  failures: number;
  /** Latency of the 202 answers as the client saw it, and as the gateway logged it (ms). */
  postP50: number;
  postP99: number;
  gatewayP50: number;
  gatewayP99: number;
  shippedP50: number;
  shippedP99: number;
  notShipped: number;
  /** Cold starts of CreateOrderFunction during the run, and their init times (ms). */
  createOrderColdStarts: number[];
  /** CPU time per second of the run, by part of the machine (ms/s; 2 cores give 2,000). */
  cpu: Record<string, number>;
}

/** CPU time (ms) of every thread of a process and of its child processes, by part. */
function cpuByPart(stackPid: number, bench = process.pid): Record<string, number> {
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  };
  const parts: Record<string, number> = {};
  const add = (part: string, ms: number) => {
    parts[part] = (parts[part] ?? 0) + ms;
  };
  const tasks = `/proc/${stackPid}/task`;
  if (!existsSync(tasks)) return parts;
  const children: number[] = [];
  for (const tid of readdirSync(tasks)) {
    const comm = readFileSync(`${tasks}/${tid}/comm`, 'utf8').trim();
    const part =
      comm === 'MainThread' || tid === String(stackPid)
        ? 'stack main thread: gateway, Step Functions, event sources, SNS/SQS'
        : comm === 'WorkerThread'
          ? 'local DynamoDB (its worker thread)'
          : 'stack: V8 and libuv helper threads (GC, compiling, I/O)';
    add(part, ticks(readFileSync(`${tasks}/${tid}/stat`, 'utf8')));
    const kids = readFileSync(`${tasks}/${tid}/children`, 'utf8').trim();
    if (kids) children.push(...kids.split(' ').map(Number));
  }
  for (const pid of children) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const runtime = cmdline.findIndex((a) => a.endsWith('runtime.cjs'));
      const fn =
        runtime >= 0
          ? String(cmdline[runtime + 1])
              .split('/')
              .pop()
          : 'other';
      add(`Lambda: ${fn}`, ticks(readFileSync(`/proc/${pid}/stat`, 'utf8')));
    } catch {
      // the environment ended meanwhile
    }
  }
  const self = process.cpuUsage();
  if (bench === process.pid) add('load generator (this process)', (self.user + self.system) / 1000);
  return parts;
}

function delta(after: Record<string, number>, before: Record<string, number>, seconds: number) {
  return Object.fromEntries(
    Object.entries(after).map(([k, v]) => [k, (v - (before[k] ?? 0)) / seconds]),
  );
}

async function until(check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/**
 * The application as `npm start` runs it (its own process tree), at constant arrival rates of
 * POST /orders (autocannon's overallRate: requests leave on a schedule, not when the previous
 * answer came back). For each rate: the answers by status, the latency of the 202s as the client
 * saw it and as the gateway logged it, the time from 202 to SHIPPED from the orders' own
 * timestamps, the cold starts the run caused, and where the machine's CPU went.
 */
export async function measureRates(rates: number[], seconds: number, log: (l: string) => void) {
  // The stack's own threads are profiled for the whole run (written when it stops).
  const profiles = join(BENCH_DIR, 'profiles', 'local-stack');
  rmSync(profiles, { recursive: true, force: true });
  const options = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${options ?? ''} --cpu-prof --cpu-prof-dir=${profiles}`.trim();
  const running = await spawnLocalStack(['--no-seed']).finally(() => {
    if (options === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = options;
  });
  const { info } = running;
  const pid = running.process.pid as number;
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
      const sku = `RATE-${rate}`;
      await stock(sku, rate * seconds * 2);
      const token = await mintToken(keys, {
        issuer: info.issuer,
        sub: customer,
        scopes: ['orders/write'],
        expiresIn: 3600,
      });
      const logFrom = running.output().length;
      const answers: Array<[number, number]> = [];
      const cpuBefore = cpuByPart(pid);
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          {
            url: `${info.apiUrl}/orders`,
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ items: [{ sku, quantity: 1 }], shippingAddress: ADDRESS }),
            connections: Math.max(20, Math.ceil(rate / 2)),
            overallRate: rate,
            duration: seconds,
          },
          (err, r) => (err ? reject(err) : resolve(r)),
        );
        instance.on('response', (_client, status, _bytes, ms) => answers.push([status, ms]));
      });
      const cpu = delta(cpuByPart(pid), cpuBefore, seconds);
      const runLog = running.output().slice(logFrom);
      const gateway = [...runLog.matchAll(/POST \/orders → 202 \([^)]*?(\d+) ms\)/g)].map((m) =>
        Number(m[1]),
      );
      const coldStarts = [
        ...runLog.matchAll(/CreateOrderFunction: cold start, init (\d+) ms/g),
      ].map((m) => Number(m[1]));
      const accepted = answers.filter(([s]) => s === 202);
      await until(async () => {
        const orders = await ordersOf(customer);
        return orders.length >= accepted.length && orders.every((o) => o.status === 'SHIPPED');
      }, 120_000);
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
        throttled: answers.filter(([s]) => s === 429).length,
        serverErrors: answers.filter(([s]) => s >= 500).length,
        failures: result.errors + result.timeouts,
        postP50: percentile(
          accepted.map(([, ms]) => ms),
          50,
        ),
        postP99: percentile(
          accepted.map(([, ms]) => ms),
          99,
        ),
        gatewayP50: percentile(gateway, 50),
        gatewayP99: percentile(gateway, 99),
        shippedP50: percentile(shipped, 50),
        shippedP99: percentile(shipped, 99),
        notShipped: orders.length - shipped.length,
        createOrderColdStarts: coldStarts,
        cpu,
      };
      log(
        `${rate}/s: ${f.requests} requests, ${f.accepted} accepted, ${f.throttled} throttled, ${f.serverErrors} 5xx; POST p50 ${f.postP50} p99 ${f.postP99} ms; 202→SHIPPED p50 ${f.shippedP50} p99 ${f.shippedP99} ms`,
      );
      figures.push(f);
    }
    await running.stop();
    return {
      rates: figures,
      mainThread: busyTime(profiles, pid, 0),
      dynamodb: busyTime(profiles, pid, 1),
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
 * Where a thread of the stack spent its busy time (idle left out), from its CPU profile: for each
 * sample, the file of local/ that was running, and the package it had called, if any
 * (`local/stepfunctions/interpreter.ts → aws-local-stepfunctions`). Shares of the busy time.
 */
function busyTime(dir: string, pid: number, thread: number): Array<[string, number]> {
  if (!existsSync(dir)) return [];
  const file = readdirSync(dir).find((f) => f.includes(`.${pid}.${thread}.`));
  if (!file) return [];
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
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
