import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { apiEvent, call, orderBody } from '../support/api';
import { type OrderSystem, startOrderSystem } from '../support/order-system';

describe('orders racing for scarce stock', () => {
  let system: OrderSystem;

  beforeAll(async () => {
    system = await startOrderSystem();
  });
  afterAll(() => system.close());

  async function placeOrders(count: number, items: Array<{ sku: string; quantity: number }>) {
    const createOrder = system.handler('CreateOrderFunction');
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const response = await call(
          createOrder,
          apiEvent('create-order', `racer-${i}`, { body: orderBody(items) }),
        );
        return response.body.orderId as string;
      }),
    );
  }

  async function stockOf(sku: string) {
    const { Item } = await system.documentClient.send(
      new GetCommand({ TableName: system.inventoryTable, Key: { sku }, ConsistentRead: true }),
    );
    return Item as { available: number; sold: number; reservations: Record<string, number> };
  }

  /** Runs every workflow at once while sampling the stock level until they are done. */
  async function race(orderIds: string[], skus: string[]) {
    const samples: number[] = [];
    let running = true;
    const sampler = (async () => {
      while (running) {
        for (const sku of skus) samples.push((await stockOf(sku)).available);
      }
    })();
    const results = await Promise.allSettled(orderIds.map((id) => system.runWorkflow(id)));
    running = false;
    await sampler;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    return samples;
  }

  async function statuses(orderIds: string[]) {
    const counts: Record<string, number> = {};
    for (const id of orderIds) {
      const status = (await system.orders.get(id))?.status ?? 'MISSING';
      counts[status] = (counts[status] ?? 0) + 1;
    }
    return counts;
  }

  it('sells exactly M units to N > M parallel orders and backorders the rest', async () => {
    const N = 40;
    const M = 15;
    await system.inventory.addStock('SCARCE-1', M, 'arrival-1');
    const orderIds = await placeOrders(N, [{ sku: 'SCARCE-1', quantity: 1 }]);

    const samples = await race(orderIds, ['SCARCE-1']);

    expect(await statuses(orderIds)).toEqual({ SHIPPED: M, BACKORDERED: N - M });
    expect(await stockOf('SCARCE-1')).toEqual(
      expect.objectContaining({ available: 0, sold: M, reservations: {} }),
    );
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
  });

  it('keeps multi-line orders all or nothing under contention', async () => {
    const N = 20;
    await system.inventory.addStock('PAIR-A', 7, 'arrival-1');
    await system.inventory.addStock('PAIR-B', 5, 'arrival-1');
    const orderIds = await placeOrders(N, [
      { sku: 'PAIR-A', quantity: 1 },
      { sku: 'PAIR-B', quantity: 1 },
    ]);

    const samples = await race(orderIds, ['PAIR-A', 'PAIR-B']);

    const counts = await statuses(orderIds);
    const shipped = counts.SHIPPED ?? 0;
    expect(shipped).toBeGreaterThan(0);
    expect(shipped).toBeLessThanOrEqual(5);
    expect(shipped + (counts.BACKORDERED ?? 0)).toBe(N);
    const [a, b] = [await stockOf('PAIR-A'), await stockOf('PAIR-B')];
    // Every unit is either still available or sold to a shipped order: none leaked.
    expect(a).toEqual(expect.objectContaining({ sold: shipped, available: 7 - shipped }));
    expect(b).toEqual(expect.objectContaining({ sold: shipped, available: 5 - shipped }));
    expect(a.reservations).toEqual({});
    expect(b.reservations).toEqual({});
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
  });
});
