import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { loadOrCreateKeys, mintToken } from '../cognito/issuer';
import { type LocalStack, STACK_FILE, startLocalStack } from '../stack';
import { ROOT } from '../template';
import { parseCommandLine, runCommand } from './args';
import { runningStack } from './stack-file';

const USAGE = 'Runs the order flow against the local stack: npm run demo';

/**
 * The order flow, end to end, against the local stack: `npm run demo`. Uses the stack `npm start`
 * runs (found through .local/stack.json), or starts one for the length of the demo.
 */
const aws = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};
const say = (line: string) => console.log(`\n▶ ${line}`);
const STATE_DIR = join(ROOT, '.local');

function running() {
  if (!existsSync(join(STATE_DIR, STACK_FILE))) return undefined;
  const stack = runningStack(STATE_DIR);
  return {
    apiUrl: stack.apiUrl,
    issuer: stack.issuer,
    messagingUrl: stack.messagingUrl,
    stockQueueUrl: stack.queues.StockArrivalsQueue as string,
    topicArn: stack.topics.OrderEventsTopic as string,
    stateDir: STATE_DIR,
    stop: async () => {},
  };
}

async function ownStack() {
  say('No stack is running: starting one for this demo (its log lines start with │)');
  const stack: LocalStack = await startLocalStack({
    ports: { api: 0, issuer: 0, dynamodb: 0, messaging: 0, stepFunctions: 0, control: 0 },
    stateDir: join(STATE_DIR, 'demo'),
    log: (line) => console.log(`  │ ${line}`),
  });
  return {
    apiUrl: stack.apiUrl,
    issuer: stack.issuer,
    messagingUrl: stack.messagingUrl,
    stockQueueUrl: stack.queues.StockArrivalsQueue as string,
    topicArn: stack.topics.OrderEventsTopic as string,
    stateDir: stack.stateDir,
    stop: stack.stop,
  };
}

async function main() {
  const stack = running() ?? (await ownStack());
  const keys = await loadOrCreateKeys(join(stack.stateDir, 'issuer-keys.json'));
  const token = await mintToken(keys, {
    issuer: stack.issuer,
    sub: 'alice',
    scopes: ['orders/read', 'orders/write'],
  });
  const sqs = new SQSClient({ ...aws, endpoint: stack.messagingUrl });
  const sns = new SNSClient({ ...aws, endpoint: stack.messagingUrl });

  say('Subscribing a queue to the order events topic, to receive the notifications');
  const { QueueUrl: inbox } = await sqs.send(new CreateQueueCommand({ QueueName: 'demo-inbox' }));
  await sns.send(
    new SubscribeCommand({
      TopicArn: stack.topicArn,
      Protocol: 'sqs',
      Endpoint: 'arn:aws:sqs:us-east-1:000000000000:demo-inbox',
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const order = async (sku: string, quantity: number) => {
    const { status, body } = await api('POST', '/orders', {
      items: [{ sku, quantity }],
      shippingAddress: {
        name: 'Alice',
        line1: '1 Main St',
        city: 'Springfield',
        postalCode: '12345',
        country: 'US',
      },
    });
    console.log(`  POST /orders ${sku} x${quantity} → ${status} ${body.orderId} (${body.status})`);
    return String(body.orderId);
  };
  const waitFor = async (orderId: string, status: string) => {
    for (let i = 0; i < 100; i++) {
      const { body } = await api('GET', `/orders/${orderId}`);
      if (body.status === status) return console.log(`  GET /orders/${orderId} → ${status}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`Order ${orderId} did not reach ${status}`);
  };

  const scarceSku = `GIZMO-${Date.now().toString(36).toUpperCase()}`;
  const arrive = (arrivalId: string, quantity: number) =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.stockQueueUrl,
        MessageBody: JSON.stringify({ arrivalId, sku: scarceSku, quantity }),
      }),
    );
  say(`A first stock arrival makes a new SKU known: 1 × ${scarceSku}`);
  await arrive(`demo-${scarceSku}-1`, 1);
  await new Promise((r) => setTimeout(r, 2000));

  say(`Placing an order that is in stock (WIDGET-1) and one that is not (2 × ${scarceSku})`);
  const inStock = await order('WIDGET-1', 2);
  const backordered = await order(scarceSku, 2);
  await waitFor(inStock, 'SHIPPED');
  await waitFor(backordered, 'BACKORDERED');

  say(`The warehouse sends a stock arrival of 5 × ${scarceSku} to the queue`);
  await arrive(`demo-${scarceSku}-2`, 5);
  await waitFor(backordered, 'SHIPPED');

  say('Notifications received on the subscribed queue');
  const seen: string[] = [];
  for (let i = 0; i < 20 && seen.length < 3; i++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const m of Messages) {
      const n = JSON.parse(m.Body as string) as { type: string; orderId: string; message: string };
      if (n.orderId !== inStock && n.orderId !== backordered) continue;
      seen.push(n.type);
      console.log(`  ${n.type}: ${n.message}`);
    }
  }
  await stack.stop();
  say('Done: both orders SHIPPED, three notifications sent.');
  process.exit(0);
}

runCommand(USAGE, async () => {
  const { values } = parseCommandLine(USAGE, { help: { type: 'boolean', default: false } });
  if (values.help) return console.log(USAGE);
  await main();
});
