import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import autocannon from 'autocannon';
import { spawnLocalStack } from '../local/child-stack';
import { loadOrCreateKeys, mintToken } from '../local/issuer';
import { type LocalStack, startLocalStack } from '../local/stack';
import { percentile } from './stats';

const aws = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};
const ADDRESS = {
  name: 'Bench',
  line1: '1 Load St',
  city: 'Perf',
  postalCode: '0000',
  country: 'GB',
};

export interface RateFigures {
  rate: number;
  requests: number;
  errors: number;
  postP50: number;
  postP99: number;
  shippedP50: number;
  shippedP99: number;
  unshipped: number;
}

export type Usage = ReturnType<LocalStack['usage']>;

async function startBenchStack() {
  process.env.DYNAMODB_ENDPOINT = '';
  return startLocalStack({
    ports: { api: 0, issuer: 0, dynamodb: 0, messaging: 0, stepFunctions: 0 },
    accounting: true,
    seed: false,
    visibilityTimeoutSeconds: 5,
    log: () => {},
  });
}

/** A client for dynalite itself: seeded data makes no stream records, so starts no workflows. */
function directDb(stack: LocalStack) {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...aws, endpoint: stack.dynamodb.directUrl }),
  );
}

async function token(stack: LocalStack, sub: string) {
  return mintToken(stack.keys, {
    issuer: stack.issuer,
    sub,
    scopes: ['orders/read', 'orders/write'],
  });
}

async function addStock(stack: LocalStack, sku: string, quantity: number) {
  const sqs = new SQSClient({ ...aws, endpoint: stack.messagingUrl });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: stack.queues.StockArrivalsQueue,
      MessageBody: JSON.stringify({ arrivalId: `bench-${sku}-${Date.now()}`, sku, quantity }),
    }),
  );
}

async function ordersOf(stack: LocalStack, customerId: string) {
  const found: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  const client = new DynamoDBClient({ ...aws, endpoint: stack.dynamodb.url });
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: stack.dynamodb.tables.OrdersTable,
        FilterExpression: 'customerId = :c',
        ExpressionAttributeValues: { ':c': { S: customerId } },
        ExclusiveStartKey: start as never,
      }),
    );
    found.push(...(page.Items ?? []).map((i) => unmarshall(i)));
    start = page.LastEvaluatedKey;
  } while (start);
  return found;
}

async function until(check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** The local stack in its own process, so the load generator does not share its CPU. */
async function startChildStack() {
  const running = await spawnLocalStack(['--no-seed']);
  const keys = await loadOrCreateKeys(join(running.stateDir, 'issuer-keys.json'));
  return { ...running.info, keys, stop: () => running.stop() };
}

/**
 * Constant arrival rates against POST /orders (autocannon's overallRate: requests go out on a
 * schedule, not when the previous one returns), then how long each order took from its 202 to
 * SHIPPED, from the order's own timestamps.
 */
export async function measureRates(rates: number[], seconds: number, log: (l: string) => void) {
  const stack = await startChildStack();
  const target = stack as unknown as LocalStack;
  try {
    // Warm every function of the order path first: the figures are for a running system, and
    // the cold starts are measured per function above.
    await addStock(target, 'WARM-1', 100);
    const warmToken = await token(target, 'bench-warm');
    await new Promise((r) => setTimeout(r, 2000));
    await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${stack.apiUrl}/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${warmToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            items: [{ sku: 'WARM-1', quantity: 1 }],
            shippingAddress: ADDRESS,
          }),
        }),
      ),
    );
    await until(
      async () => (await ordersOf(target, 'bench-warm')).every((o) => o.status === 'SHIPPED'),
      30_000,
    );

    const figures: RateFigures[] = [];
    for (const rate of rates) {
      const customer = `bench-rate-${rate}`;
      const sku = `RATE-${rate}`;
      await addStock(target, sku, rate * seconds * 2);
      await new Promise((r) => setTimeout(r, 2000));
      const bearer = await token(target, customer);
      const result = await autocannon({
        url: `${stack.apiUrl}/orders`,
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ sku, quantity: 1 }], shippingAddress: ADDRESS }),
        connections: Math.max(10, Math.ceil(rate / 5)),
        overallRate: rate,
        duration: seconds,
      });
      const accepted = result['2xx'];
      await until(async () => {
        const orders = await ordersOf(target, customer);
        return (
          orders.length >= accepted &&
          orders.every((o) => o.status !== 'PENDING' && o.status !== 'RESERVED')
        );
      }, 120_000);
      const orders = await ordersOf(target, customer);
      const shipped = orders
        .filter((o) => o.status === 'SHIPPED')
        .map(
          (o) =>
            Date.parse(String((o.shipment as { shippedAt: string }).shippedAt)) -
            Date.parse(String(o.createdAt)),
        );
      const f: RateFigures = {
        rate,
        requests: result.requests.total,
        errors: result.errors + result.non2xx + result.timeouts,
        postP50: result.latency.p50,
        postP99: result.latency.p99,
        shippedP50: percentile(shipped, 50),
        shippedP99: percentile(shipped, 99),
        unshipped: orders.length - shipped.length,
      };
      log(
        `${rate}/s for ${seconds} s: ${f.requests} requests, ${f.errors} errors, POST p50 ${f.postP50} ms p99 ${f.postP99} ms, 202→SHIPPED p50 ${f.shippedP50} ms p99 ${f.shippedP99} ms`,
      );
      figures.push(f);
    }
    return figures;
  } finally {
    await stack.stop();
  }
}

function diff(after: Usage, before: Usage) {
  const invocations: Record<string, { invocations: number; durationMs: number; memoryMb: number }> =
    {};
  for (const [id, f] of Object.entries(after.functions)) {
    const b = before.functions[id] ?? { invocations: 0, durationMs: 0 };
    invocations[id] = {
      invocations: f.invocations - b.invocations,
      durationMs: f.durationMs - b.durationMs,
      memoryMb: f.memoryMb,
    };
  }
  return {
    readUnits: after.readUnits - before.readUnits,
    writeUnits: after.writeUnits - before.writeUnits,
    transitions: after.transitions - before.transitions,
    executions: after.executions - before.executions,
    snsPublishes: after.snsPublishes - before.snsPublishes,
    sqsRequests:
      after.sqs.receives - before.sqs.receives + (after.sqs.deletes - before.sqs.deletes),
    functions: invocations,
  };
}

export type PathWork = ReturnType<typeof diff> & { apiRequests: number; sqsSends: number };

/**
 * The work one order causes on each path, averaged over `count` orders placed one at a time:
 * capacity units (ReturnConsumedCapacity), state transitions, publishes, SQS requests and
 * function invocations with their durations (warm, after a first order warmed every function).
 */
export async function measureWorkPerOrder(count: number, log: (l: string) => void) {
  const stack = await startBenchStack();
  try {
    const bearer = await token(stack, 'bench-work');
    const place = async (sku: string) => {
      const r = await fetch(`${stack.apiUrl}/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ sku, quantity: 1 }], shippingAddress: ADDRESS }),
      });
      return ((await r.json()) as { orderId: string }).orderId;
    };
    const settled = (statuses: string[]) => async () => {
      const orders = await ordersOf(stack, 'bench-work');
      return orders.length > 0 && orders.every((o) => statuses.includes(String(o.status)));
    };
    // Warm every function first (and give the in-stock SKU plenty of stock).
    await addStock(stack, 'WORK-IN', 1_000_000);
    await until(
      async () => (await stack.usage()).functions.RestockFunction?.invocations === 1,
      20_000,
    );
    await place('WORK-IN');
    await until(settled(['SHIPPED']), 20_000);

    const inStockBefore = stack.usage();
    for (let i = 0; i < count; i++) {
      await place('WORK-IN');
      await until(settled(['SHIPPED']), 20_000);
    }
    const inStock = { ...diff(stack.usage(), inStockBefore), apiRequests: count, sqsSends: 0 };

    const backorderBefore = stack.usage();
    for (let i = 0; i < count; i++) {
      const sku = `WORK-OUT-${i}`;
      await place(sku);
      await until(settled(['SHIPPED', 'BACKORDERED']), 20_000);
      await addStock(stack, sku, 1);
      await until(settled(['SHIPPED']), 20_000);
    }
    const restocked = {
      ...diff(stack.usage(), backorderBefore),
      apiRequests: count,
      sqsSends: count,
    };
    log(`work per order measured over ${count} orders on each path`);
    return { inStock, restocked, count };
  } finally {
    await stack.stop();
  }
}

/**
 * An order item as the application stores it (see the orders repository), for seeding the
 * table directly: the i-th order of a customer, a second apart.
 */
function storedOrder(customer: string, i: number, sku: string, status: string, extra = {}) {
  const orderId = crypto.randomUUID();
  const createdAt = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  return {
    orderId,
    createdAt,
    item: {
      pk: `ORDER#${orderId}`,
      sk: 'ORDER',
      type: 'ORDER',
      gsi1pk: `CUSTOMER#${customer}`,
      gsi1sk: `${createdAt}#${orderId}`,
      orderId,
      customerId: customer,
      status,
      items: [{ sku, quantity: 1 }],
      shippingAddress: ADDRESS,
      createdAt,
      updatedAt: createdAt,
      requestHash: 'bench',
      ...extra,
    },
  };
}

/** Writes items 25 at a time (seeding only: dynalite processes every batch whole). */
async function writeAll(client: DynamoDBDocumentClient, table: string, items: object[]) {
  for (let i = 0; i < items.length; i += 25) {
    await client.send(
      new BatchWriteCommand({
        RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  }
}

/** GET /orders first page for customers with many orders; restock with many backorders. */
export async function measureScaling(log: (l: string) => void) {
  const stack = await startBenchStack();
  try {
    const client = directDb(stack);
    const ordersTable = stack.dynamodb.tables.OrdersTable as string;
    const list: Array<{ orders: number; p50: number; p99: number }> = [];
    for (const n of [10, 1_000, 10_000]) {
      const customer = `bench-list-${n}`;
      const seeded = Array.from({ length: n }, (_, i) =>
        storedOrder(customer, i, 'X-1', 'SHIPPED'),
      );
      await writeAll(
        client,
        ordersTable,
        seeded.map((o) => o.item),
      );
      const bearer = await token(stack, customer);
      const times: number[] = [];
      for (let i = 0; i < 50; i++) {
        const started = performance.now();
        const r = await fetch(`${stack.apiUrl}/orders?limit=20`, {
          headers: { authorization: `Bearer ${bearer}` },
        });
        await r.json();
        times.push(performance.now() - started);
      }
      list.push({
        orders: n,
        p50: percentile(times.slice(5), 50),
        p99: percentile(times.slice(5), 99),
      });
      log(
        `GET /orders first page with ${n} orders: p50 ${percentile(times.slice(5), 50).toFixed(1)} ms`,
      );
    }

    const restock: Array<{ backordered: number; ms: number }> = [];
    for (const n of [1, 100, 1_000]) {
      const sku = `SCALE-${n}`;
      const customer = `bench-restock-${n}`;
      const seeded = Array.from({ length: n }, (_, i) =>
        storedOrder(customer, i, sku, 'BACKORDERED', { missingSkus: [sku] }),
      );
      await writeAll(client, ordersTable, [
        ...seeded.map((o) => o.item),
        // The backorder index entries the Backorder step writes.
        ...seeded.map(({ orderId, createdAt }) => ({
          pk: `BACKORDER#${sku}`,
          sk: `${createdAt}#${orderId}`,
          type: 'BACKORDER',
          orderId,
        })),
      ]);
      const before = stack.usage().functions.RestockFunction ?? { invocations: 0, durationMs: 0 };
      await addStock(stack, sku, n);
      await until(
        async () =>
          (stack.usage().functions.RestockFunction?.invocations ?? 0) > before.invocations,
        60_000,
      );
      // The restock invocation's own duration: add stock, resume n orders, start n executions.
      await until(async () => {
        const after = stack.usage().functions.RestockFunction;
        return (after?.durationMs ?? 0) > before.durationMs;
      }, 120_000);
      const ms = (stack.usage().functions.RestockFunction?.durationMs ?? 0) - before.durationMs;
      restock.push({ backordered: n, ms });
      log(`restock resuming ${n} backordered order(s): ${ms.toFixed(0)} ms`);
      await until(
        async () => (await ordersOf(stack, customer)).every((o) => o.status === 'SHIPPED'),
        180_000,
      );
    }
    return { list, restock };
  } finally {
    await stack.stop();
  }
}
