import { Agent, request } from 'node:http';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { orderBody } from '../support/api';
import { type RunningStack, startStack, Tokens } from './local-stack';

/** POST /orders over a fresh connection each (no pooling: 500 clients at once). */
function post(url: string, token: string, body: unknown) {
  const payload = JSON.stringify(body);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      `${url}/orders`,
      {
        method: 'POST',
        agent: new Agent({ keepAlive: false }),
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * A burst of 500 concurrent orders at the local stack: the gateway's throttle turns some away
 * with 429, as API Gateway would; no request may get a 5xx, and every accepted order ends.
 */
describe('local stack under a burst', () => {
  let stack: RunningStack;
  let tokens: Tokens;

  beforeAll(async () => {
    stack = await startStack(['--no-seed']);
    tokens = new Tokens(stack.stateDir, stack.info.issuer, stack.info.audience);
  }, 90_000);
  afterAll(() => stack.stop());

  it('answers 500 concurrent POST /orders with no 5xx, and every accepted order ends', async () => {
    const token = tokens.for('burst');
    // Stock, through the queue as the warehouse sends it.
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: stack.info.messagingUrl,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.info.queues.StockArrivalsQueue,
        MessageBody: JSON.stringify({ arrivalId: 'burst-asn', sku: 'BURST-1', quantity: 10_000 }),
      }),
    );
    sqs.destroy();
    for (let i = 0; i < 50 && !stack.output().includes('Stock arrival applied'); i++) {
      await new Promise((r) => setTimeout(r, 200));
    }

    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 500 }, () =>
        post(stack.info.apiUrl, token, orderBody([{ sku: 'BURST-1', quantity: 1 }])),
      ),
    );
    const seconds = (Date.now() - started) / 1000;

    const byStatus: Record<number, number> = {};
    for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    console.log(`burst of 500: ${JSON.stringify(byStatus)} in ${seconds.toFixed(1)} s`);
    expect(stack.output()).not.toMatch(/→ 401/);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(Object.keys(byStatus).sort()).toEqual(expect.arrayContaining(['202']));
    const accepted = answers.filter((a) => a.status === 202).map((a) => JSON.parse(a.body).orderId);

    const statusOf = async (orderId: string) => {
      const response = await fetch(`${stack.info.apiUrl}/orders/${orderId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return response.status === 200
        ? ((await response.json()) as { status: string }).status
        : 'unknown';
    };
    let pending = accepted;
    for (let round = 0; round < 120 && pending.length > 0; round++) {
      await new Promise((r) => setTimeout(r, 1000));
      const statuses: string[] = [];
      for (const id of pending) statuses.push(await statusOf(id));
      pending = pending.filter((_, i) => statuses[i] !== 'SHIPPED');
    }
    expect(pending).toEqual([]);
  }, 300_000);
});
