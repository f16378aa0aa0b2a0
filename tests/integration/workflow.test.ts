import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import validateAsl from 'asl-validator';
import { ROOT } from '../../local/template';
import { apiEvent, call, orderBody } from '../support/api';
import { type App, startApp } from '../support/app';
import { canRaisePriority } from '../support/priority';

const ASL = JSON.parse(
  readFileSync(join(ROOT, 'statemachine', 'order-workflow.asl.json'), 'utf8'),
) as {
  States: Record<
    string,
    {
      Type: string;
      Retry?: Array<{ ErrorEquals: string[] }>;
      Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
      TimeoutSeconds?: number;
      Next?: string;
      Default?: string;
      Choices?: Array<{ Next: string }>;
    }
  >;
  StartAt: string;
};

/** The states reachable from `start` by transitions, not counting Catch. */
function reachable(start: string): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const state = ASL.States[name];
    if (seen.has(name) || !state) continue;
    seen.add(name);
    const next = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next)];
    queue.push(...next.filter((n): n is string => n !== undefined));
  }
  return seen;
}

/**
 * The tasks that run while the order is not settled: every state from the start up to the
 * customer's notification, leaving out the failure path (FailOrder on). Any task added there (a
 * fraud check, say) must take the failure path too.
 */
const settled = new Set([...reachable('NotifyCustomer'), ...reachable('FailOrder')]);
const HAPPY_PATH = [...reachable(ASL.StartAt)].filter((name) => !settled.has(name));

describe('order workflow definition', () => {
  it('is valid Amazon States Language', () => {
    const { isValid, errors } = validateAsl(ASL, { checkArn: true, checkPaths: true });
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('retries timeouts, throttling and service errors on every task, each with a timeout', () => {
    for (const [name, state] of Object.entries(ASL.States).filter(([, s]) => s.Type === 'Task')) {
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      const expected = state.Retry?.some((r) => r.ErrorEquals.includes('States.ALL'))
        ? ['States.ALL']
        : [
            'TransientError',
            'States.Timeout',
            'Sandbox.Timedout',
            'Lambda.Unknown',
            'Lambda.TooManyRequestsException',
          ];
      expect({ name, retried: expect.arrayContaining(expected) }).toEqual({
        name,
        retried: expect.arrayContaining(expected),
      });
      expect({ name, retried }).toEqual({ name, retried: expect.arrayContaining(expected) });
      expect({ name, timeout: state.TimeoutSeconds }).toEqual({
        name,
        timeout: expect.any(Number),
      });
    }
  });

  it('takes the failure path from every happy-path task, and from no failure-path task', () => {
    for (const [name, state] of Object.entries(ASL.States).filter(([, s]) => s.Type === 'Task')) {
      const catchAll = (state.Catch ?? []).find((c) => c.ErrorEquals.includes('States.ALL'));
      expect({ name, next: catchAll?.Next }).toEqual({
        name,
        next: HAPPY_PATH.includes(name) ? 'FailOrder' : undefined,
      });
    }
  });
});

/**
 * Orders through the whole application as it deploys: the HTTP function stores them, the orders
 * stream starts the workflow, the tasks run as built bundles, SNS tells the customer.
 */
describe('order workflow run', () => {
  let app: App;
  let skuCount = 0;
  const newSku = () => `WF-${++skuCount}`;

  beforeAll(async () => {
    app = await startApp({ staleAfterSeconds: 1 });
  }, 60_000);
  afterAll(() => app.stop());

  async function stock(sku: string, quantity: number) {
    await app.inventory.receive(
      { arrivalId: `${sku}-${quantity}-${Math.random()}`, sku, quantity },
      new Date(),
    );
  }

  async function place(customer: string, items: Array<{ sku: string; quantity: number }>) {
    const response = await call(
      app,
      'CreateOrderFunction',
      apiEvent('create-order', customer, { body: orderBody(items) }),
    );
    expect(response.status).toBe(202);
    return response.body.orderId as string;
  }

  async function notificationsOf(orderId: string) {
    return (await app.notifications()).filter((n) => n.orderId === orderId).map((n) => n.type);
  }

  it('ships an order that is in stock, tells the customer once, and leaves nothing in flight', async () => {
    const sku = newSku();
    await stock(sku, 5);
    const orderId = await place('alice', [{ sku, quantity: 2 }]);
    await app.settle();

    const order = await app.order(orderId);
    expect(order).toMatchObject({ status: 'SHIPPED', inFlight: false });
    expect(order?.shipment?.trackingId).toMatch(/^ACME-/);
    expect((await app.books()).skus.get(sku)).toEqual({
      available: 3,
      received: 5,
      held: 0,
      committed: 2,
    });
    expect(await notificationsOf(orderId)).toEqual(['ORDER_SHIPPED']);
  });

  // On Lambda each environment has CPU of its own; locally they share the cores, and the requests
  // a user waits for go first (local/stack.ts, BACKGROUND_NICE).
  it("runs the functions that answer requests at the services' priority, and workflow steps lower", async () => {
    const sku = newSku();
    await stock(sku, 1);
    await place('alice', [{ sku, quantity: 1 }]);
    await app.settle();

    const priorities = (functionName: string) =>
      app.stack.lambda
        .function(functionName)
        .environments()
        .map((e) => getPriority(e.pid));
    const normal = getPriority();
    const steps = ['ProcessOrderFunction', 'ShipOrderFunction', 'StartWorkflowFunction'];
    for (const step of steps)
      expect(Math.min(...priorities(step))).toBeGreaterThanOrEqual(normal + 5);
    // Without CAP_SYS_NICE the first environment keeps its init priority (initNice).
    if (canRaisePriority()) {
      expect(priorities('CreateOrderFunction')).toContain(normal);
      for (const step of steps) expect(priorities(step)).toContain(Math.min(19, normal + 5));
    }
  });

  it('backorders an order that is short, then ships it when the stock arrives on the queue', async () => {
    const [plenty, short] = [newSku(), newSku()];
    await stock(plenty, 5);
    await stock(short, 1);
    const orderId = await place('bob', [
      { sku: plenty, quantity: 1 },
      { sku: short, quantity: 2 },
    ]);
    await app.settle();
    expect(await app.order(orderId)).toMatchObject({
      status: 'BACKORDERED',
      missingSkus: [short],
      inFlight: false,
    });
    expect((await app.books()).queues.get(short)).toEqual([orderId]);

    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: app.stack.messagingUrl,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: app.stack.queues.StockArrivalsQueue,
        MessageBody: JSON.stringify({ arrivalId: `${short}-asn`, sku: short, quantity: 4 }),
      }),
    );
    await app.settle();
    sqs.destroy();

    expect(await app.order(orderId)).toMatchObject({
      status: 'SHIPPED',
      executionName: `${orderId}-resumed`,
      inFlight: false,
    });
    expect((await app.books()).skus.get(short)).toMatchObject({ available: 3, committed: 2 });
    expect(await notificationsOf(orderId)).toEqual(['ORDER_BACKORDERED', 'ORDER_SHIPPED']);
  });

  it('retries a step that times out or crashes, and ships once', async () => {
    const sku = newSku();
    await stock(sku, 1);
    const timeouts = app.stack.lambda.injectFault('ProcessOrderFunction', 'timeout', { count: 1 });
    const crashes = app.stack.lambda.injectFault('ShipOrderFunction', 'crash', { count: 1 });
    const orderId = await place('carol', [{ sku, quantity: 1 }]);
    await app.settle(1500, 90_000);
    timeouts.clear();
    crashes.clear();

    expect((await app.order(orderId))?.status).toBe('SHIPPED');
    expect((await app.books()).skus.get(sku)).toMatchObject({ available: 0, committed: 1 });
    expect(await notificationsOf(orderId)).toEqual(['ORDER_SHIPPED']);
  }, 120_000);

  it('takes the failure path once retries run out: stock back, FAILED, the customer told', async () => {
    const sku = newSku();
    await stock(sku, 2);
    const outage = app.stack.lambda.injectFault('ShipOrderFunction', 'throttle', { count: 100 });
    const orderId = await place('dave', [{ sku, quantity: 1 }]);
    await app.settle();
    outage.clear();

    expect(await app.order(orderId)).toMatchObject({ status: 'FAILED', inFlight: false });
    expect((await app.books()).skus.get(sku)).toMatchObject({
      available: 2,
      held: 0,
      committed: 0,
    });
    expect(await notificationsOf(orderId)).toEqual(['ORDER_FAILED']);
  });

  it('redrives an execution whose failure path ran out of retries, from where it failed', async () => {
    const sku = newSku();
    await stock(sku, 2);
    const ship = app.stack.lambda.injectFault('ShipOrderFunction', 'throttle', { count: 100 });
    const fail = app.stack.lambda.injectFault('FailOrderFunction', 'throttle', { count: 100 });
    const orderId = await place('erin', [{ sku, quantity: 1 }]);
    await app.settle();
    const stalled = app.stack.stepFunctions.executions.get(
      `${app.stack.stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}`,
    );
    expect(stalled).toMatchObject({ status: 'FAILED', error: 'Lambda.TooManyRequestsException' });
    expect(await app.order(orderId)).toMatchObject({ status: 'RESERVED', inFlight: true });
    ship.clear();
    fail.clear();

    await new Promise((r) => setTimeout(r, 1100)); // past STALE_AFTER_SECONDS
    const result = await app.invoke('ReconcileOrdersFunction', {});
    await app.settle();

    expect(result).toEqual({ rescued: 1 });
    expect(stalled).toMatchObject({ status: 'FAILED', error: 'OrderFailed', redriveCount: 1 });
    expect(await app.order(orderId)).toMatchObject({
      status: 'FAILED',
      rescues: 1,
      inFlight: false,
    });
    expect((await app.books()).skus.get(sku)).toMatchObject({ available: 2, held: 0 });
    expect(await notificationsOf(orderId)).toEqual(['ORDER_FAILED']);
  });

  it('starts the execution of an order whose start was lost, and ships it', async () => {
    const sku = newSku();
    await stock(sku, 1);
    const lost = app.stack.lambda.injectFault('StartWorkflowFunction', 'error', { count: 1000 });
    const orderId = await place('frank', [{ sku, quantity: 1 }]);
    await app.settle();
    expect(app.lines.join('\n')).toContain('gave up on 1 record(s)');
    lost.clear();
    expect(await app.order(orderId)).toMatchObject({ status: 'PENDING', inFlight: true });

    await new Promise((r) => setTimeout(r, 1100));
    const results = await Promise.all([
      app.invoke('ReconcileOrdersFunction', {}),
      app.invoke('ReconcileOrdersFunction', {}),
    ]);
    await app.settle();

    expect(results.map((r) => r.rescued).sort()).toEqual(expect.arrayContaining([1]));
    expect(await app.order(orderId)).toMatchObject({
      status: 'SHIPPED',
      rescues: 1,
      inFlight: false,
    });
    expect(await notificationsOf(orderId)).toEqual(['ORDER_SHIPPED']);
  });
});
