import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidOrderStateError, TransientError } from '@orders/shared';
import validateAsl from 'asl-validator';
import { ROOT } from '../../local/template';
import { apiEvent, call, orderBody } from '../support/api';
import { type OrderSystem, startOrderSystem } from '../support/order-system';

const ASL_PATH = join(ROOT, 'statemachine', 'order-workflow.asl.json');

describe('order workflow definition', () => {
  it('is valid Amazon States Language', () => {
    const definition = JSON.parse(readFileSync(ASL_PATH, 'utf8'));
    const { isValid, errors } = validateAsl(definition, { checkArn: true, checkPaths: true });
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('has Retry and Catch on every task', () => {
    const { States } = JSON.parse(readFileSync(ASL_PATH, 'utf8'));
    const tasks = Object.entries(States as Record<string, Record<string, unknown[]>>).filter(
      ([, s]) => s.Type === ('Task' as unknown),
    );
    expect(tasks.length).toBeGreaterThanOrEqual(6);
    for (const [name, state] of tasks) {
      expect({ name, retry: (state.Retry?.length ?? 0) > 0 }).toEqual({ name, retry: true });
      expect({ name, catch: (state.Catch?.length ?? 0) > 0 }).toEqual({ name, catch: true });
    }
  });
});

describe('order workflow run', () => {
  let system: OrderSystem;
  let skuCount = 0;
  const newSku = () => `WF-${++skuCount}`;

  beforeAll(async () => {
    system = await startOrderSystem();
  });
  afterAll(() => system.close());

  async function placeOrder(customerId: string, items: Array<{ sku: string; quantity: number }>) {
    const response = await call(
      system.handler('CreateOrderFunction'),
      apiEvent('create-order', customerId, { body: orderBody(items) }),
    );
    expect(response.status).toBe(202);
    return response.body.orderId as string;
  }

  async function stock(sku: string) {
    const { Item } = await system.documentClient.send(
      new GetCommand({ TableName: system.inventoryTable, Key: { sku } }),
    );
    return Item;
  }

  it('ships an order that is in stock and tells the customer', async () => {
    const sku = newSku();
    await system.inventory.addStock(sku, 5, 'arrival-1');
    const orderId = await placeOrder('alice', [{ sku, quantity: 2 }]);

    await system.runWorkflow(orderId);

    const order = await system.orders.get(orderId);
    expect(order?.status).toBe('SHIPPED');
    expect(order?.shipment?.trackingId).toMatch(/^ACME-/);
    expect(await stock(sku)).toMatchObject({ available: 3, sold: 2, reservations: {} });
    expect(system.notificationsFor(orderId)).toEqual([
      expect.objectContaining({
        eventType: 'ORDER_SHIPPED',
        event: expect.objectContaining({ customerId: 'alice', status: 'SHIPPED' }),
      }),
    ]);
  });

  it('backorders an order that is short and indexes it under the missing sku', async () => {
    const [inStock, short] = [newSku(), newSku()];
    await system.inventory.addStock(inStock, 5, 'arrival-1');
    await system.inventory.addStock(short, 1, 'arrival-1');
    const orderId = await placeOrder('bob', [
      { sku: inStock, quantity: 1 },
      { sku: short, quantity: 2 },
    ]);

    await system.runWorkflow(orderId);

    const order = await system.orders.get(orderId);
    expect(order).toMatchObject({ status: 'BACKORDERED', missingSkus: [short] });
    expect(await stock(inStock)).toMatchObject({ available: 5, reservations: {} });
    const waiting = [];
    for await (const id of system.orders.backorderedFor(short)) waiting.push(id);
    expect(waiting).toEqual([orderId]);
    expect(system.notificationsFor(orderId).map((n) => n.eventType)).toEqual(['ORDER_BACKORDERED']);
  });

  it('retries a transient failure and then succeeds', async () => {
    const sku = newSku();
    await system.inventory.addStock(sku, 1, 'arrival-1');
    const orderId = await placeOrder('carol', [{ sku, quantity: 1 }]);
    const before = system.invocations.ProcessOrderFunction ?? 0;
    system.injectFaults(
      'ProcessOrderFunction',
      new TransientError('throttled'),
      new TransientError('throttled again'),
    );

    await system.runWorkflow(orderId);

    expect((system.invocations.ProcessOrderFunction ?? 0) - before).toBe(3);
    expect((await system.orders.get(orderId))?.status).toBe('SHIPPED');
    expect(await stock(sku)).toMatchObject({ available: 0, sold: 1 });
  });

  it('takes the failure path on a permanent error: releases stock, marks FAILED, notifies', async () => {
    const sku = newSku();
    await system.inventory.addStock(sku, 4, 'arrival-1');
    const orderId = await placeOrder('dave', [{ sku, quantity: 3 }]);
    system.injectFaults('ShipOrderFunction', new InvalidOrderStateError('carrier refused'));

    await expect(system.runWorkflow(orderId)).rejects.toMatchObject({ name: 'OrderFailed' });

    expect(await system.orders.get(orderId)).toMatchObject({
      status: 'FAILED',
      failureReason: 'InvalidOrderStateError',
    });
    expect(await stock(sku)).toMatchObject({ available: 4, sold: 0, reservations: {} });
    expect(system.notificationsFor(orderId).map((n) => n.eventType)).toEqual(['ORDER_FAILED']);
  });

  it('takes the failure path once transient retries run out', async () => {
    const sku = newSku();
    await system.inventory.addStock(sku, 2, 'arrival-1');
    const orderId = await placeOrder('erin', [{ sku, quantity: 1 }]);
    const outage = Array.from({ length: 6 }, () => new TransientError('DynamoDB unavailable'));
    system.injectFaults('ProcessOrderFunction', ...outage);

    await expect(system.runWorkflow(orderId)).rejects.toMatchObject({ name: 'OrderFailed' });

    expect((await system.orders.get(orderId))?.status).toBe('FAILED');
    expect(await stock(sku)).toMatchObject({ available: 2 });
  });

  it('fails an order that does not exist without touching stock', async () => {
    await expect(system.runWorkflow('no-such-order')).rejects.toMatchObject({
      name: 'OrderFailed',
    });
    expect(system.notificationsFor('no-such-order').map((n) => n.eventType)).toEqual([
      'ORDER_FAILED',
    ]);
  });

  it('changes nothing when run again with the same input', async () => {
    const sku = newSku();
    await system.inventory.addStock(sku, 5, 'arrival-1');
    const orderId = await placeOrder('frank', [{ sku, quantity: 2 }]);
    await system.runWorkflow(orderId);
    const shipped = await system.orders.get(orderId);

    await system.runWorkflow(orderId);

    expect(await system.orders.get(orderId)).toEqual(shipped);
    expect(await stock(sku)).toMatchObject({ available: 3, sold: 2, reservations: {} });
  });

  it('keeps a backordered order backordered when run again', async () => {
    const sku = newSku();
    const orderId = await placeOrder('grace', [{ sku, quantity: 1 }]);
    await system.runWorkflow(orderId);

    await system.runWorkflow(orderId);

    expect((await system.orders.get(orderId))?.status).toBe('BACKORDERED');
    expect(await stock(sku)).toBeUndefined();
  });
});
