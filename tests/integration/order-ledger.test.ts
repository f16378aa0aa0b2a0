import { randomUUID } from 'node:crypto';
import {
  backorderOrder,
  failOrder,
  type Order,
  type OrderWorkflow,
  processOrder,
  receiveStock,
  reconcileOrders,
  resumeBackorders,
  StockChangedError,
  shipOrder,
  snapshotOf,
} from '@orders/shared';
import { createTestTables, type TestTables } from '../support/fixtures';
import { readBooks, statusCounts, violations } from '../support/invariants';

/**
 * The order ledger and the stock, under concurrency: every step run twice at the same instant,
 * and steps that touch the same order or SKU raced against each other, against the real local
 * DynamoDB (transactions and all). Each test reads the tables back and checks the invariants.
 */
describe('order ledger under concurrency', () => {
  let t: TestTables;
  let skuCount = 0;
  const newSku = () => `LEDGER-${++skuCount}`;
  const deps = () => ({ orders: t.orders, ledger: t.ledger });
  const tables = () => ({ orders: t.ordersTable, inventory: t.inventoryTable });

  beforeAll(async () => {
    t = await createTestTables();
  });

  async function stock(sku: string, quantity: number, arrivalId: string = randomUUID()) {
    await receiveStock(t.inventory, { arrivalId, sku, quantity });
  }

  async function order(items: Array<{ sku: string; quantity: number }>, customerId = 'alice') {
    const now = new Date().toISOString();
    const orderId = randomUUID();
    const catalogue = await t.inventory.catalogue(items.map((i) => i.sku));
    const split = [...catalogue].filter(([, shards]) => shards > 1);
    const created: Order = {
      orderId,
      customerId,
      status: 'PENDING',
      items,
      shippingAddress: { name: 'A', line1: 'L', city: 'C', postalCode: 'P', country: 'GB' },
      createdAt: now,
      updatedAt: now,
      requestHash: 'test',
      executionName: orderId,
      ...(split.length ? { stockShards: Object.fromEntries(split) } : {}),
    };
    expect(await t.orders.create(created)).toBe(true);
    return orderId;
  }

  async function books() {
    const read = await readBooks(t.documentClient, tables());
    expect(violations(read)).toEqual([]);
    return read;
  }

  it('reserves once when ProcessOrder runs twice at the same instant', async () => {
    const sku = newSku();
    await stock(sku, 5);
    const id = await order([{ sku, quantity: 3 }]);

    const results = await Promise.all([processOrder(deps(), id), processOrder(deps(), id)]);

    expect(results.map((r) => r.inStock)).toEqual([true, true]);
    const b = await books();
    expect(b.orders.get(id)?.status).toBe('RESERVED');
    expect(b.skus.get(sku)).toEqual({ available: 2, received: 5, held: 3, committed: 0 });
  });

  it('reserves once from the snapshot an execution carries, run twice at once and run late', async () => {
    const sku = newSku();
    await stock(sku, 5);
    const id = await order([{ sku, quantity: 3 }]);
    const snapshot = snapshotOf((await t.orders.get(id)) as Order);

    const twice = await Promise.all([
      processOrder(deps(), id, new Date(), snapshot),
      processOrder(deps(), id, new Date(), snapshot),
    ]);
    // A redriven or rescued execution still carries the PENDING snapshot: the transaction's
    // condition fails, and the order as it is answers.
    const late = await processOrder(deps(), id, new Date(), snapshot);
    await failOrder(deps(), id, 'cancelled');
    const afterFailure = processOrder(deps(), id, new Date(), snapshot);

    expect([...twice, late].map((r) => r.inStock)).toEqual([true, true, true]);
    await expect(afterFailure).rejects.toThrow('has failed');
    const b = await books();
    expect(b.orders.get(id)?.status).toBe('FAILED');
    expect(b.skus.get(sku)).toEqual({ available: 5, received: 5, held: 0, committed: 0 });
  });

  it('sells exactly the units there are to 50 orders racing for 10', async () => {
    const sku = newSku();
    await stock(sku, 10);
    const ids = await Promise.all(Array.from({ length: 50 }, () => order([{ sku, quantity: 1 }])));

    const results = await Promise.all(ids.map((id) => processOrder(deps(), id)));

    expect(results.filter((r) => r.inStock)).toHaveLength(10);
    const b = await books();
    expect(statusCounts(b, ids)).toEqual({ RESERVED: 10, PENDING: 40 });
    expect(b.skus.get(sku)).toMatchObject({ available: 0, held: 10 });
  });

  it('leaves no stock on the shelf when two-line orders race in opposite line order', async () => {
    const [a, b] = [newSku(), newSku()];
    await stock(a, 30);
    await stock(b, 30);
    const ids = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        order(
          i % 2 === 0
            ? [
                { sku: a, quantity: 1 },
                { sku: b, quantity: 1 },
              ]
            : [
                { sku: b, quantity: 1 },
                { sku: a, quantity: 1 },
              ],
        ),
      ),
    );

    await Promise.all(ids.map((id) => processOrder(deps(), id)));

    const read = await books();
    expect(statusCounts(read, ids)).toEqual({ RESERVED: 30, PENDING: 30 });
    expect(read.skus.get(a)?.available).toBe(0);
    expect(read.skus.get(b)?.available).toBe(0);
  });

  it('ships once when ShipOrder runs twice, and fails once when FailOrder does', async () => {
    const sku = newSku();
    await stock(sku, 4);
    const [toShip, toFail] = [
      await order([{ sku, quantity: 1 }]),
      await order([{ sku, quantity: 2 }]),
    ];
    await processOrder(deps(), toShip);
    await processOrder(deps(), toFail);

    const shipped = await Promise.all([shipOrder(deps(), toShip), shipOrder(deps(), toShip)]);
    const failed = await Promise.all([
      failOrder(deps(), toFail, 'test'),
      failOrder(deps(), toFail, 'test'),
    ]);

    expect(shipped.map((n) => n.type)).toEqual(['ORDER_SHIPPED', 'ORDER_SHIPPED']);
    expect(shipped[0]?.trackingId).toBe(shipped[1]?.trackingId);
    expect(failed.map((n) => n.type)).toEqual(['ORDER_FAILED', 'ORDER_FAILED']);
    const b = await books();
    expect(b.skus.get(sku)).toEqual({ available: 3, received: 4, held: 0, committed: 1 });
  });

  it('lets exactly one of ShipOrder and FailOrder win a race for the same order', async () => {
    const sku = newSku();
    await stock(sku, 40);
    const ids = await Promise.all(Array.from({ length: 20 }, () => order([{ sku, quantity: 2 }])));
    await Promise.all(ids.map((id) => processOrder(deps(), id)));

    await Promise.all(ids.flatMap((id) => [shipOrder(deps(), id), failOrder(deps(), id, 'race')]));

    const b = await books();
    const counts = statusCounts(b, ids);
    expect((counts.SHIPPED ?? 0) + (counts.FAILED ?? 0)).toBe(20);
    expect(b.skus.get(sku)).toEqual({
      available: 40 - 2 * (counts.SHIPPED ?? 0),
      received: 40,
      held: 0,
      committed: 2 * (counts.SHIPPED ?? 0),
    });
  });

  it('applies an arrival once when it is delivered twice at the same instant', async () => {
    const sku = newSku();
    const arrival = { arrivalId: `${sku}-asn-1`, sku, quantity: 7 };

    const applied = await Promise.all([
      receiveStock(t.inventory, arrival),
      receiveStock(t.inventory, arrival),
    ]);

    expect(applied.sort()).toEqual([false, true]);
    expect((await books()).skus.get(sku)).toMatchObject({ available: 7, received: 7 });
  });

  it('never strands stock: a restock racing a backorder either resumes the order or is seen by it', async () => {
    for (let round = 0; round < 15; round++) {
      const sku = newSku();
      await stock(sku, 0, `${sku}-seed`);
      const id = await order([{ sku, quantity: 1 }]);
      const processed = await processOrder(deps(), id);
      expect(processed.inStock).toBe(false);

      const backorder = backorderOrder(deps(), id, processed.missingSkus).catch((err: unknown) => {
        if (err instanceof StockChangedError) return processOrder(deps(), id);
        throw err;
      });
      const restock = (async () => {
        await stock(sku, 1);
        await resumeBackorders(deps(), sku);
      })();
      await Promise.all([backorder, restock]);
      // What the stream would do after the backorder: resume again on the latest increase.
      await resumeBackorders(deps(), sku);

      const b = await books();
      expect(b.orders.get(id)?.status).toBe('RESERVED');
      expect(b.skus.get(sku)).toMatchObject({ available: 0, held: 1 });
    }
  });

  it('resumes a backordered order once when two arrivals and their resumptions race (issue 1)', async () => {
    const sku = newSku();
    await stock(sku, 0, `${sku}-seed`);
    const id = await order([{ sku, quantity: 1 }]);
    const processed = await processOrder(deps(), id);
    await backorderOrder(deps(), id, processed.missingSkus);

    await Promise.all(
      [1, 2].map(async (n) => {
        await stock(sku, 1, `${sku}-asn-${n}`);
        return resumeBackorders(deps(), sku);
      }),
    );
    await shipOrder(deps(), id);

    const b = await books();
    expect(b.orders.get(id)?.status).toBe('SHIPPED');
    expect(b.skus.get(sku)).toEqual({ available: 1, received: 2, held: 0, committed: 1 });
  });

  it('serves backorders oldest first and resumes each once when resumptions run twice', async () => {
    const sku = newSku();
    await stock(sku, 0, `${sku}-seed`);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = await order([{ sku, quantity: 1 }]);
      await backorderOrder(deps(), id, (await processOrder(deps(), id)).missingSkus);
      ids.push(id);
    }
    await stock(sku, 4);

    const resumed = await Promise.all([
      resumeBackorders(deps(), sku),
      resumeBackorders(deps(), sku),
    ]);

    expect([...resumed[0], ...resumed[1]].sort()).toEqual(ids.slice(0, 4).sort());
    const b = await books();
    expect(ids.map((id) => b.orders.get(id)?.status)).toEqual([
      'RESERVED',
      'RESERVED',
      'RESERVED',
      'RESERVED',
      'BACKORDERED',
      'BACKORDERED',
    ]);
    expect(b.orders.get(ids[0] as string)?.executionName).toBe(`${ids[0]}-resumed`);
  });

  it('gives stock back when a reserved order fails, so a waiting order can take it', async () => {
    const sku = newSku();
    await stock(sku, 1);
    const first = await order([{ sku, quantity: 1 }]);
    const second = await order([{ sku, quantity: 1 }]);
    await processOrder(deps(), first);
    await backorderOrder(deps(), second, (await processOrder(deps(), second)).missingSkus);

    await failOrder(deps(), first, 'cancelled');
    await resumeBackorders(deps(), sku);

    const b = await books();
    expect(b.orders.get(first)?.status).toBe('FAILED');
    expect(b.orders.get(second)?.status).toBe('RESERVED');
    expect(b.skus.get(sku)).toMatchObject({ available: 0, held: 1 });
  });

  it('spreads a split SKU over its shards and still sells exactly what there is', async () => {
    const sku = newSku();
    await stock(sku, 100);
    await t.inventory.split(sku, 4);
    const ids = await Promise.all(Array.from({ length: 150 }, () => order([{ sku, quantity: 1 }])));

    await Promise.all(ids.map((id) => processOrder(deps(), id)));

    const b = await books();
    expect(statusCounts(b, ids)).toEqual({ RESERVED: 100, PENDING: 50 });
    expect(b.skus.get(sku)).toMatchObject({ available: 0, received: 100, held: 100 });
    const shards = new Set(
      ids.flatMap((id) => b.orders.get(id)?.reservation?.lines.map((l) => l.shard) ?? []),
    );
    expect([...shards].sort()).toEqual([0, 1, 2, 3]);
    expect(await t.inventory.stock(sku)).toMatchObject({ available: 0, received: 100, shards: 4 });
  });

  it('spreads arrivals over a split SKU, racing the split itself, and applies each once', async () => {
    const sku = newSku();
    await stock(sku, 10);
    // Arrivals written as for one shard race the split to four; each lands once, in full.
    const arrivals = Array.from({ length: 8 }, (_, n) => `${sku}-asn-${n}`);
    await Promise.all([
      t.inventory.split(sku, 4),
      ...arrivals.map((id) => stock(sku, 5, id)),
      ...arrivals.map((id) => stock(sku, 5, id)),
    ]);
    await stock(sku, 7);

    const b = await books();
    expect(b.skus.get(sku)).toEqual({ available: 57, received: 57, held: 0, committed: 0 });
    expect(await t.inventory.stock(sku)).toMatchObject({ available: 57, shards: 4 });
  });

  it('rescues each stalled order once when the reconciler runs twice at once', async () => {
    const sku = newSku();
    await stock(sku, 5);
    const stalled = await order([{ sku, quantity: 1 }]);
    const calls: string[] = [];
    const workflow: OrderWorkflow = {
      async start(name) {
        calls.push(`start ${name}`);
      },
      async status() {
        return 'NOT_FOUND';
      },
      async redrive(name) {
        calls.push(`redrive ${name}`);
        return true;
      },
    };
    const later = new Date(Date.now() + 3_600_000);

    const runs = await Promise.all([
      reconcileOrders(
        { orders: t.orders, workflow },
        { staleAfterSeconds: 900, now: later, limit: 5000 },
      ),
      reconcileOrders(
        { orders: t.orders, workflow },
        { staleAfterSeconds: 900, now: later, limit: 5000 },
      ),
    ]);

    expect(runs.flat().map((r) => r.orderId)).toContain(stalled);
    expect(calls.filter((c) => c === `start ${stalled}`).length).toBeGreaterThanOrEqual(1);
    const rescued = await t.orders.get(stalled);
    expect(rescued?.rescues).toBe(1);
  });

  it('knows the SKUs it has stock records of, split or not', async () => {
    const [plain, split] = [newSku(), newSku()];
    await stock(plain, 1);
    await stock(split, 8);
    await t.inventory.split(split, 2);

    const known = await t.inventory.catalogue([plain, split, 'NEVER-SEEN']);

    expect(Object.fromEntries(known)).toEqual({ [plain]: 1, [split]: 2 });
  });
});
