import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { apiEvent, call, orderBody } from '../support/api';
import { type App, startApp } from '../support/app';
import { sampleEvent } from '../support/fixtures';

/** An SQS batch of stock arrival messages, built on the sample restock event. */
function sqsBatch(bodies: unknown[]): SQSEvent {
  const [sample] = sampleEvent<SQSEvent>('restock').Records;
  return {
    Records: bodies.map((body, i) => ({
      ...(sample as SQSEvent['Records'][number]),
      messageId: `message-${i}-${Math.random().toString(36).slice(2)}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })),
  };
}

/** Stock arrivals: the queue, the restock function, and the resumption of backorders. */
describe('stock arrivals', () => {
  let app: App;
  let sqs: SQSClient;
  let skuCount = 0;
  const newSku = () => `RS-${++skuCount}`;

  beforeAll(async () => {
    app = await startApp({ visibilityTimeoutSeconds: 1 });
    sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: app.stack.messagingUrl,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }, 60_000);
  afterAll(async () => {
    sqs.destroy();
    await app.stop();
  });

  const send = (bodies: unknown[]) =>
    sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: app.stack.queues.StockArrivalsQueue,
        Entries: bodies.map((body, i) => ({
          Id: String(i),
          MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
        })),
      }),
    );

  async function backordered(customer: string, sku: string, quantity: number) {
    const response = await call(
      app,
      'CreateOrderFunction',
      apiEvent('create-order', customer, { body: orderBody([{ sku, quantity }]) }),
    );
    await app.settle();
    expect((await app.order(response.body.orderId))?.status).toBe('BACKORDERED');
    return response.body.orderId as string;
  }

  it('adds the stock of the sample batch', async () => {
    const response = await app.invoke('RestockFunction', sampleEvent('restock'));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await app.inventory.stock('WIDGET-1')).toMatchObject({ available: 50 });
    expect(await app.inventory.stock('GADGET-7')).toMatchObject({ available: 5 });
  });

  it('returns only the poison messages to the queue and processes the rest', async () => {
    const sku = newSku();
    const batch = sqsBatch([
      { arrivalId: `${sku}-ok-1`, sku, quantity: 1 },
      { sku: 'lower case', quantity: -2 },
      'not json at all',
      { arrivalId: `${sku}-ok-2`, sku, quantity: 2 },
    ]);

    const response = await app.invoke('RestockFunction', batch);

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: batch.Records[1]?.messageId },
      { itemIdentifier: batch.Records[2]?.messageId },
    ]);
    expect(await app.inventory.stock(sku)).toMatchObject({ available: 3 });
  });

  it('adds an arrival once, however often and however concurrently it is delivered', async () => {
    const sku = newSku();
    const arrival = { arrivalId: `${sku}-dup`, sku, quantity: 4 };

    await Promise.all([
      app.invoke('RestockFunction', sqsBatch([arrival, arrival])),
      app.invoke('RestockFunction', sqsBatch([arrival])),
    ]);
    await app.invoke('RestockFunction', sqsBatch([arrival]));

    expect(await app.inventory.stock(sku)).toMatchObject({ available: 4, received: 4 });
  });

  it('ships a backordered order once when two arrivals come in one batch (parallel records)', async () => {
    const sku = newSku();
    await app.inventory.receive({ arrivalId: `${sku}-known`, sku, quantity: 1 }, new Date());
    const first = await backordered('alice', sku, 2); // 1 on the shelf, 2 wanted
    await send([
      { arrivalId: `${sku}-asn-1`, sku, quantity: 1 },
      { arrivalId: `${sku}-asn-2`, sku, quantity: 1 },
    ]);
    await app.settle();

    expect((await app.order(first))?.status).toBe('SHIPPED');
    expect((await app.books()).skus.get(sku)).toEqual({
      available: 1,
      received: 3,
      held: 0,
      committed: 2,
    });
  });

  it('serves concurrent and replayed arrivals to the oldest backorders, with exact stock', async () => {
    const sku = newSku();
    // A SKU the inventory knows, with nothing on the shelf.
    await app.inventory.receive({ arrivalId: `${sku}-known`, sku, quantity: 0 }, new Date());
    const waiting: string[] = [];
    for (const customer of ['w1', 'w2', 'w3', 'w4', 'w5'])
      waiting.push(await backordered(customer, sku, 2));

    const arrivals = [1, 2, 3].map((n) => ({ arrivalId: `${sku}-asn-${n}`, sku, quantity: 2 }));
    await Promise.all([send(arrivals), send(arrivals), send([arrivals[0]])]);
    await app.settle();

    const books = await app.books();
    expect(waiting.map((id) => books.orders.get(id)?.status)).toEqual([
      'SHIPPED',
      'SHIPPED',
      'SHIPPED',
      'BACKORDERED',
      'BACKORDERED',
    ]);
    expect(books.skus.get(sku)).toMatchObject({ available: 0, received: 6, held: 0 });
  });

  it('moves a poison message to the dead-letter queue, saying so in the log', async () => {
    const sku = newSku();
    await send([
      { arrivalId: `${sku}-good`, sku, quantity: 2 },
      '{"sku": "not valid", "quantity": -1}',
    ]);

    let dead: string[] = [];
    for (let i = 0; i < 60 && dead.length === 0; i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: app.stack.queues.StockArrivalsDeadLetterQueue,
          WaitTimeSeconds: 1,
        }),
      );
      dead = Messages.map((m) => m.Body as string);
    }

    expect(dead).toEqual(['{"sku": "not valid", "quantity": -1}']);
    expect(await app.inventory.stock(sku)).toMatchObject({ available: 2 });
    expect(app.lines.join('\n')).toMatch(/received 5 times: SQS moves it to the dead-letter queue/);
    expect(app.lines.join('\n')).toMatch(/RestockFunction: ERROR Record failed .*arrivalId/);
  }, 90_000);
});
