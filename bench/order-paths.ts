import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoInventory, dynamoOrderRepository } from '@orders/shared/dynamodb';
import { mintToken } from '../local/cognito/issuer';
import { localDynamoDbClient } from '../local/dynamodb/endpoint';
import type { Build } from '../local/lambda';
import { type LocalStack, startLocalStack } from '../local/stack';
import { type DynamoWork, dynamoWork } from './stats';

type Usage = Awaited<ReturnType<LocalStack['usage']>>;

/** The work a number of orders caused, from two snapshots of the stack's usage. */
export interface PathWork {
  orders: number;
  dynamodb: DynamoWork;
  /** Invocations per function (durations for the cost estimate, ms in all). */
  functions: Record<string, { invocations: number; durationMs: number; memoryMb: number }>;
  transitions: number;
  executions: number;
  snsPublishes: number;
  /** SendMessage by the warehouse, receives that returned messages, deletes. */
  sqsRequests: number;
  apiRequests: number;
}

/** The shipping address of every order the bench places through the API. */
export const ADDRESS = {
  name: 'Ada Lovelace',
  line1: '12 Analytical Row',
  city: 'London',
  postalCode: 'N1 9GU',
  country: 'GB',
};

function work(after: Usage, before: Usage, orders: number, sends: number): PathWork {
  const functions: PathWork['functions'] = {};
  for (const [id, f] of Object.entries(after.functions)) {
    const b = before.functions[id];
    const invocations = f.invocations - (b?.invocations ?? 0);
    if (invocations > 0)
      functions[id] = {
        invocations,
        durationMs: f.durationMs - (b?.durationMs ?? 0),
        memoryMb: f.memoryMb,
      };
  }
  const empty = { readUnits: 0, writeUnits: 0, tables: {}, operations: {} };
  return {
    orders,
    dynamodb: dynamoWork(after.dynamodb ?? empty, before.dynamodb ?? empty),
    functions,
    transitions: after.transitions - before.transitions,
    executions: after.executions - before.executions,
    snsPublishes: after.snsPublishes - before.snsPublishes,
    sqsRequests:
      sends + after.sqs.receives - before.sqs.receives + after.sqs.deletes - before.sqs.deletes,
    apiRequests: orders,
  };
}

/**
 * The work each order path causes in the whole application, through the local stack as
 * `npm start` runs it (the built bundles and layer, the workflow, the streams and the queue), with
 * capacity accounting on: `count` orders per path, one at a time, each placed with POST /orders
 * and followed until the stack is quiet again. Every function is warmed first. Paths:
 * - in stock: reserved, shipped, notified;
 * - backordered, then restocked: short, backordered, notified; a stock arrival on the queue,
 *   applied by restock, resumes it from the inventory stream; its second execution ships it;
 * - failed: reserved, then ShipOrder fails (a fault injected into its next invocation), so the
 *   workflow's Catch runs FailOrder, which gives the stock back, and the customer is told.
 */
export async function measureOrderPaths(build: Build, count: number, log: (line: string) => void) {
  const lines: string[] = [];
  const stack = await startLocalStack({
    ports: { api: 0, issuer: 0, dynamodb: 0, messaging: 0, stepFunctions: 0, control: 0 },
    stateDir: mkdtempSync(join(tmpdir(), 'orders-bench-')),
    accounting: true,
    build,
    seed: false,
    retryDelayMs: 20,
    reconcileEverySeconds: 3600,
    log: (line) => lines.push(line),
  });
  const client = DynamoDBDocumentClient.from(localDynamoDbClient(stack.dynamodb.url));
  const inventory = dynamoInventory(client, stack.dynamodb.tables.InventoryTable as string);
  const orders = dynamoOrderRepository(client, stack.dynamodb.tables.OrdersTable as string);
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: stack.messagingUrl,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const bearer = await mintToken(stack.keys, {
    issuer: stack.issuer,
    sub: 'bench-paths',
    scopes: ['orders/read', 'orders/write'],
  });

  /** Until no execution runs and nothing has moved for `quietMs` (the queue's window is 1 s). */
  async function settle(quietMs = 1500) {
    let seen = '';
    let since = Date.now();
    for (;;) {
      await stack.stepFunctions.settle();
      const u = await stack.usage();
      const now = JSON.stringify([lines.length, u.transitions, u.sqs.receives]);
      if (now !== seen) [seen, since] = [now, Date.now()];
      else if (Date.now() - since >= quietMs) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async function place(sku: string): Promise<string> {
    const response = await fetch(`${stack.apiUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ sku, quantity: 1 }], shippingAddress: ADDRESS }),
    });
    if (response.status !== 202) throw new Error(`POST /orders answered ${response.status}`);
    await settle();
    return ((await response.json()) as { orderId: string }).orderId;
  }
  async function arrive(sku: string, quantity: number) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queues.StockArrivalsQueue,
        MessageBody: JSON.stringify({ arrivalId: `bench-${sku}-${Date.now()}`, sku, quantity }),
      }),
    );
    await settle();
  }

  const paths: Array<{
    name: string;
    expect: string;
    run: (i: number) => Promise<string>;
    sends: number;
  }> = [
    { name: 'in stock', expect: 'SHIPPED', sends: 0, run: () => place('PATH-IN') },
    {
      name: 'backordered, then restocked',
      expect: 'SHIPPED',
      sends: 1,
      run: async (i) => {
        const orderId = await place(`PATH-OUT-${i}`);
        await arrive(`PATH-OUT-${i}`, 1);
        return orderId;
      },
    },
    {
      name: 'failed (ShipOrder fails)',
      expect: 'FAILED',
      sends: 0,
      run: () => {
        stack.lambda.injectFault('ShipOrderFunction', 'error', { count: 1 });
        return place('PATH-IN');
      },
    },
  ];
  try {
    // Stock, SKUs known with none, and one order down every path, before anything is counted.
    await inventory.receive(
      { arrivalId: 'bench-in', sku: 'PATH-IN', quantity: 1_000_000 },
      new Date(),
    );
    for (let i = -1; i < count; i++)
      await inventory.receive(
        { arrivalId: `bench-out-${i}`, sku: `PATH-OUT-${i}`, quantity: 0 },
        new Date(),
      );
    for (const path of paths) await path.run(-1);

    const figures: Array<{ name: string; work: PathWork }> = [];
    for (const path of paths) {
      const before = await stack.usage();
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(await path.run(i));
      const after = await stack.usage();
      const statuses = await Promise.all(ids.map(async (id) => (await orders.get(id))?.status));
      const wrong = statuses.filter((s) => s !== path.expect);
      if (wrong.length)
        log(`WARNING ${path.name}: ${wrong.length} orders ended ${wrong.join(', ')}`);
      figures.push({ name: path.name, work: work(after, before, count, path.sends * count) });
      log(`${path.name}: ${count} orders measured`);
    }
    return figures;
  } finally {
    sqs.destroy();
    client.destroy();
    await stack.stop();
  }
}
