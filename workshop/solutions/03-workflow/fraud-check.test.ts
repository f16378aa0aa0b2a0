import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { apiEvent, call, orderBody } from '../support/api';
import { type App, startApp } from '../support/app';

/**
 * Workshop module 3: CheckFraud runs first and refuses an order of more than 50 units before it
 * takes any stock; smaller orders go on as before.
 */
describe('fraud check', () => {
  let app: App;

  beforeAll(async () => {
    app = await startApp();
  }, 60_000);
  afterAll(() => app.stop());

  async function stock(sku: string, quantity: number) {
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: app.stack.messagingUrl,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: app.stack.queues.StockArrivalsQueue,
        MessageBody: JSON.stringify({ arrivalId: `${sku}-asn`, sku, quantity }),
      }),
    );
    sqs.destroy();
    await app.settle();
  }

  async function place(sku: string, quantity: number) {
    const response = await call(
      app,
      'CreateOrderFunction',
      apiEvent('create-order', 'alice', { body: orderBody([{ sku, quantity }]) }),
    );
    expect(response.status).toBe(202);
    return response.body.orderId as string;
  }

  it('refuses an order of more than 50 units, without taking stock, and tells the customer', async () => {
    await stock('FRAUD-1', 100);
    const orderId = await place('FRAUD-1', 60);
    await app.settle();

    expect(await app.order(orderId)).toMatchObject({ status: 'FAILED' });
    expect((await app.stockItem('FRAUD-1'))?.available).toBe(100);
    const told = (await app.notifications()).filter((n) => n.orderId === orderId);
    expect(told.map((n) => n.type)).toEqual(['ORDER_FAILED']);
  });

  it('lets an order of 50 units through', async () => {
    await stock('FRAUD-2', 100);
    const orderId = await place('FRAUD-2', 50);
    await app.settle();

    expect(await app.order(orderId)).toMatchObject({ status: 'SHIPPED' });
    expect((await app.stockItem('FRAUD-2'))?.available).toBe(50);
  });
});
