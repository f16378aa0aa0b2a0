import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { orderBody } from '../support/api';
import { type RunningStack, startStack, Tokens } from './local-stack';

const aws = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

/**
 * The whole order flow through the running local stack, over HTTP and the AWS protocols only:
 * orders placed with tokens, the workflow run by the stream trigger, stock arrivals on the queue,
 * notifications on a queue subscribed to the topic, and a poison message reaching the DLQ.
 */
describe('local stack: the order flow', () => {
  let stack: RunningStack;
  let tokens: Tokens;
  let sqs: SQSClient;
  let notificationsQueue: string;

  beforeAll(async () => {
    stack = await startStack(['--visibility-timeout', '1', '--retry-delay', '50']);
    tokens = new Tokens(stack.stateDir, stack.info.issuer, stack.info.audience);
    sqs = new SQSClient({ ...aws, endpoint: stack.info.messagingUrl });
    const sns = new SNSClient({ ...aws, endpoint: stack.info.messagingUrl });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'e2e-notifications' }));
    notificationsQueue = QueueUrl as string;
    await sns.send(
      new SubscribeCommand({
        TopicArn: stack.info.topics.OrderEventsTopic,
        Protocol: 'sqs',
        Endpoint: 'arn:aws:sqs:us-east-1:000000000000:e2e-notifications',
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
  }, 90_000);
  afterAll(() => stack.stop());

  const received: Array<{ type: string; orderId: string; customerId: string }> = [];

  /** Notifications received so far on the subscribed queue. */
  async function notifications() {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: notificationsQueue, MaxNumberOfMessages: 10 }),
    );
    received.push(...Messages.map((m) => JSON.parse(m.Body as string)));
    return received;
  }

  async function placeOrder(customer: string, sku: string, quantity: number) {
    const response = await fetch(`${stack.info.apiUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.for(customer)}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(orderBody([{ sku, quantity }])),
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { orderId: string };
    expect(response.headers.get('location')).toBe(`/orders/${body.orderId}`);
    return body.orderId;
  }

  async function statusOf(customer: string, orderId: string) {
    const response = await fetch(`${stack.info.apiUrl}/orders/${orderId}`, {
      headers: { authorization: `Bearer ${tokens.for(customer)}` },
    });
    return ((await response.json()) as { status?: string }).status;
  }

  async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms = 20_000) {
    const deadline = Date.now() + ms;
    let value = await probe();
    while (!done(value) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      value = await probe();
    }
    return value;
  }

  async function available(sku: string) {
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...aws, endpoint: stack.info.dynamodb.url }),
    );
    const { Item } = await db.send(
      new GetCommand({
        TableName: stack.info.dynamodb.tables.InventoryTable,
        Key: { pk: `STOCK#${sku}` },
      }),
    );
    return Item?.available as number | undefined;
  }

  it('ships an order that is in stock and notifies the customer', async () => {
    const before = (await available('WIDGET-1')) as number;
    const orderId = await placeOrder('alice', 'WIDGET-1', 2);

    expect(
      await eventually(
        () => statusOf('alice', orderId),
        (s) => s === 'SHIPPED',
      ),
    ).toBe('SHIPPED');
    expect(await available('WIDGET-1')).toBe(before - 2);
    const seen = await eventually(notifications, (n) => n.some((x) => x.orderId === orderId));
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'ORDER_SHIPPED', orderId, customerId: 'alice' }),
    );
  });

  it('backorders an order, then ships it when stock arrives on the queue', async () => {
    const orderId = await placeOrder('bob', 'GIZMO-9', 1);
    expect(
      await eventually(
        () => statusOf('bob', orderId),
        (s) => s === 'BACKORDERED',
      ),
    ).toBe('BACKORDERED');

    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.info.queues.StockArrivalsQueue,
        MessageBody: JSON.stringify({ arrivalId: 'e2e-asn-1', sku: 'GIZMO-9', quantity: 4 }),
      }),
    );

    expect(
      await eventually(
        () => statusOf('bob', orderId),
        (s) => s === 'SHIPPED',
      ),
    ).toBe('SHIPPED');
    expect(await available('GIZMO-9')).toBe(3);
    const seen = await eventually(notifications, (n) =>
      n.some((x) => x.orderId === orderId && x.type === 'ORDER_SHIPPED'),
    );
    expect(seen.filter((n) => n.orderId === orderId).map((n) => n.type)).toEqual([
      'ORDER_BACKORDERED',
      'ORDER_SHIPPED',
    ]);
  });

  it('moves a poison stock message to the DLQ and processes the rest of its batch', async () => {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.info.queues.StockArrivalsQueue,
        Entries: [
          {
            Id: 'good-1',
            MessageBody: JSON.stringify({ arrivalId: 'e2e-asn-2', sku: 'POISON-OK', quantity: 2 }),
          },
          { Id: 'poison', MessageBody: '{"sku": "not valid", "quantity": -1}' },
          {
            Id: 'good-2',
            MessageBody: JSON.stringify({ arrivalId: 'e2e-asn-3', sku: 'POISON-OK', quantity: 3 }),
          },
        ],
      }),
    );

    expect(
      await eventually(
        () => available('POISON-OK'),
        (n) => n === 5,
      ),
    ).toBe(5);
    const dead = await eventually(
      async () =>
        (
          await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: stack.info.queues.StockArrivalsDeadLetterQueue,
              MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            }),
          )
        ).Messages ?? [],
      (messages) => messages.length > 0,
      30_000,
    );
    expect(dead.map((m) => m.Body)).toEqual(['{"sku": "not valid", "quantity": -1}']);
  }, 40_000);

  it('answers a retried POST with the same Idempotency-Key with the first order', async () => {
    const post = () =>
      fetch(`${stack.info.apiUrl}/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.for('carol')}`,
          'content-type': 'application/json',
          'idempotency-key': 'e2e-retry',
        },
        body: JSON.stringify({
          items: [{ sku: 'WIDGET-1', quantity: 1 }],
          shippingAddress: { name: 'C', line1: 'L', city: 'C', postalCode: 'P', country: 'GB' },
        }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { orderId: string } }));
    const first = await post();
    const retry = await post();
    expect(retry.status).toBe(202);
    expect(retry.body.orderId).toBe(first.body.orderId);
  });
});
