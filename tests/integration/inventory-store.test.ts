import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ARRIVAL_MEMORY } from '../../src/layers/shared/src/adapters/dynamodb-inventory';
import { createTestTables, type TestTables } from '../support/fixtures';

describe('DynamoDB inventory store', () => {
  let t: TestTables;
  let sku = 0;
  const nextSku = () => `SKU-${++sku}`;

  beforeAll(async () => {
    t = await createTestTables();
  });

  async function stockItem(skuId: string) {
    const { Item } = await t.documentClient.send(
      new GetCommand({ TableName: t.inventoryTable, Key: { sku: skuId } }),
    );
    return Item;
  }

  it('reserves every line and records the reservation on each stock item', async () => {
    const [a, b] = [nextSku(), nextSku()];
    await t.inventory.addStock(a, 5, 'arrival-a');
    await t.inventory.addStock(b, 5, 'arrival-b');

    const result = await t.inventory.reserve('order-1', [
      { sku: a, quantity: 2 },
      { sku: b, quantity: 5 },
    ]);

    expect(result).toEqual({ reserved: true });
    expect(await stockItem(a)).toMatchObject({ available: 3, reservations: { 'order-1': 2 } });
    expect(await stockItem(b)).toMatchObject({ available: 0, reservations: { 'order-1': 5 } });
  });

  it('reserves nothing when one line is short, and names every short sku', async () => {
    const [a, b, c] = [nextSku(), nextSku(), nextSku()];
    await t.inventory.addStock(a, 5, 'arrival-a');
    await t.inventory.addStock(b, 1, 'arrival-b');

    const result = await t.inventory.reserve('order-2', [
      { sku: a, quantity: 2 },
      { sku: b, quantity: 2 },
      { sku: c, quantity: 1 },
    ]);

    expect(result).toEqual({ reserved: false, missingSkus: [b, c] });
    expect(await stockItem(a)).toMatchObject({ available: 5, reservations: {} });
    expect(await stockItem(b)).toMatchObject({ available: 1, reservations: {} });
  });

  it('changes nothing when the same order reserves twice', async () => {
    const a = nextSku();
    await t.inventory.addStock(a, 3, 'arrival-a');
    const lines = [{ sku: a, quantity: 2 }];

    await t.inventory.reserve('order-3', lines);
    const again = await t.inventory.reserve('order-3', lines);

    expect(again).toEqual({ reserved: true });
    expect(await stockItem(a)).toMatchObject({ available: 1, reservations: { 'order-3': 2 } });
  });

  it('commits a reservation into sales once', async () => {
    const a = nextSku();
    await t.inventory.addStock(a, 3, 'arrival-a');
    const lines = [{ sku: a, quantity: 2 }];
    await t.inventory.reserve('order-4', lines);

    await t.inventory.commit('order-4', lines);
    await t.inventory.commit('order-4', lines);

    expect(await stockItem(a)).toMatchObject({ available: 1, sold: 2, reservations: {} });
  });

  it('releases a reservation once, and releasing nothing is harmless', async () => {
    const a = nextSku();
    await t.inventory.addStock(a, 3, 'arrival-a');
    const lines = [{ sku: a, quantity: 2 }];
    await t.inventory.reserve('order-5', lines);

    await t.inventory.release('order-5', lines);
    await t.inventory.release('order-5', lines);
    await t.inventory.release('never-reserved', lines);

    expect(await stockItem(a)).toMatchObject({ available: 3, sold: 0, reservations: {} });
  });

  it('adds an arrival once however often it is delivered', async () => {
    const a = nextSku();
    expect(await t.inventory.addStock(a, 4, 'arrival-1')).toBe(true);
    expect(await t.inventory.addStock(a, 4, 'arrival-1')).toBe(false);
    expect(await t.inventory.addStock(a, 1, 'arrival-2')).toBe(true);
    expect(await t.inventory.available(a)).toBe(5);
  });

  it(`remembers the last ${ARRIVAL_MEMORY} arrivals per sku, no more`, async () => {
    const a = nextSku();
    for (let i = 0; i < ARRIVAL_MEMORY + 5; i++) await t.inventory.addStock(a, 1, `arrival-${i}`);

    const item = await stockItem(a);
    expect(item?.recentArrivals).toHaveLength(ARRIVAL_MEMORY);
    expect(item?.recentArrivals[0]).toBe('arrival-5');
    expect(await t.inventory.addStock(a, 1, `arrival-${ARRIVAL_MEMORY + 4}`)).toBe(false);
  });

  it('reports zero stock for an unknown sku and cannot reserve it', async () => {
    expect(await t.inventory.available('NO-SUCH-SKU')).toBe(0);
    expect(await t.inventory.reserve('order-6', [{ sku: 'NO-SUCH-SKU', quantity: 1 }])).toEqual({
      reserved: false,
      missingSkus: ['NO-SUCH-SKU'],
    });
  });
});
