import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { apiEvent, call, orderBody } from '../support/api';
import { sqsBatch } from '../support/events';
import { lambdaContext, sampleEvent } from '../support/fixtures';
import { type OrderSystem, startOrderSystem } from '../support/order-system';

type SqsHandler = (
  event: SQSEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<SQSBatchResponse>;

describe('restock (stock arrivals queue)', () => {
  let system: OrderSystem;
  let restock: SqsHandler;
  let skuCount = 0;
  const newSku = () => `RS-${++skuCount}`;

  beforeAll(async () => {
    system = await startOrderSystem();
    restock = system.handler('RestockFunction');
  });
  afterAll(() => system.close());

  /** Places an order and runs its workflow, which backorders it (no stock). */
  async function backorderedOrder(
    customerId: string,
    items: Array<{ sku: string; quantity: number }>,
  ) {
    const response = await call(
      system.handler('CreateOrderFunction'),
      apiEvent('create-order', customerId, { body: orderBody(items) }),
    );
    const orderId = response.body.orderId as string;
    await system.runWorkflow(orderId);
    expect((await system.orders.get(orderId))?.status).toBe('BACKORDERED');
    return orderId;
  }

  it('adds the stock of the sample batch', async () => {
    const response = await restock(sampleEvent<SQSEvent>('restock'), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await system.inventory.available('WIDGET-1')).toBe(50);
    expect(await system.inventory.available('GADGET-7')).toBe(5);
  });

  it('resumes backordered orders oldest first and ships them', async () => {
    const sku = newSku();
    const first = await backorderedOrder('alice', [{ sku, quantity: 2 }]);
    const second = await backorderedOrder('bob', [{ sku, quantity: 2 }]);
    const third = await backorderedOrder('carol', [{ sku, quantity: 1 }]);

    await restock(sqsBatch([{ arrivalId: 'asn-1', sku, quantity: 3 }]), lambdaContext());
    await system.sfn.settle();

    // 3 units: the oldest order takes 2; the next needs 2 and waits, and so does the one after
    // it, though it would fit: first come, first served.
    expect((await system.orders.get(first))?.status).toBe('SHIPPED');
    expect((await system.orders.get(second))?.status).toBe('BACKORDERED');
    expect((await system.orders.get(third))?.status).toBe('BACKORDERED');
    expect(await system.inventory.available(sku)).toBe(1);
    const resumed = [...system.sfn.executions.values()].filter((e) => e.name.startsWith(first));
    expect(resumed).toEqual([
      expect.objectContaining({ name: `${first}-resumed`, status: 'SUCCEEDED' }),
    ]);
    expect(system.notificationsFor(first).map((n) => n.eventType)).toEqual([
      'ORDER_BACKORDERED',
      'ORDER_SHIPPED',
    ]);

    await restock(sqsBatch([{ arrivalId: 'asn-2', sku, quantity: 2 }]), lambdaContext());
    await system.sfn.settle();

    expect((await system.orders.get(second))?.status).toBe('SHIPPED');
    expect((await system.orders.get(third))?.status).toBe('SHIPPED');
    expect(await system.inventory.available(sku)).toBe(0);
  });

  it('waits for every missing sku of an order', async () => {
    const [a, b] = [newSku(), newSku()];
    const orderId = await backorderedOrder('dave', [
      { sku: a, quantity: 1 },
      { sku: b, quantity: 1 },
    ]);

    await restock(sqsBatch([{ arrivalId: 'asn-a', sku: a, quantity: 1 }]), lambdaContext());
    await system.sfn.settle();
    expect((await system.orders.get(orderId))?.status).toBe('BACKORDERED');

    await restock(sqsBatch([{ arrivalId: 'asn-b', sku: b, quantity: 1 }]), lambdaContext());
    await system.sfn.settle();
    expect((await system.orders.get(orderId))?.status).toBe('SHIPPED');
  });

  it('adds stock once when the same arrival is delivered twice', async () => {
    const sku = newSku();
    const message = { arrivalId: 'asn-dup', sku, quantity: 4 };

    await restock(sqsBatch([message]), lambdaContext());
    await restock(sqsBatch([message]), lambdaContext());

    expect(await system.inventory.available(sku)).toBe(4);
  });

  it('returns only the poison message to the queue and processes the rest', async () => {
    const sku = newSku();
    const batch = sqsBatch([
      { arrivalId: 'asn-ok-1', sku, quantity: 1 },
      { sku: 'lower case', quantity: -2 },
      'not json at all',
      { arrivalId: 'asn-ok-2', sku, quantity: 2 },
    ]);

    const response = await restock(batch, lambdaContext());

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: batch.Records[1]?.messageId },
      { itemIdentifier: batch.Records[2]?.messageId },
    ]);
    expect(await system.inventory.available(sku)).toBe(3);
  });
});
