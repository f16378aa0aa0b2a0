import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { orderBody } from '../support/api';
import { startStack, Tokens } from './local-stack';

/**
 * `npm start -- --persist`: what was accepted before a stop is still done after a restart, the
 * order whose stream record was not processed yet and the stock arrival still on the queue.
 */
describe('local stack with --persist', () => {
  it('processes, after a restart, the stream records and queue messages it had not processed', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'orders-persist-'));
    const args = ['--persist', '--retry-delay', '50', '--visibility-timeout', '1'];
    const first = await startStack(args, stateDir);
    const tokens = new Tokens(stateDir, first.info.issuer, first.info.audience);
    const fault = (body: unknown) =>
      fetch(`${(first.info as unknown as { controlUrl: string }).controlUrl}/faults`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
    // Throttled, the stream trigger and the queue trigger keep their records and messages.
    await fault({
      service: 'lambda',
      function: 'StartWorkflowFunction',
      kind: 'throttle',
      seconds: 600,
    });
    await fault({ service: 'lambda', function: 'RestockFunction', kind: 'throttle', seconds: 600 });

    const placed = await fetch(`${first.info.apiUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.for('paula')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(orderBody([{ sku: 'WIDGET-1', quantity: 1 }])),
    });
    expect(placed.status).toBe(202);
    const { orderId } = (await placed.json()) as { orderId: string };
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: first.info.messagingUrl,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: first.info.queues.StockArrivalsQueue,
        MessageBody: JSON.stringify({ arrivalId: 'persist-asn', sku: 'GADGET-7', quantity: 10 }),
      }),
    );
    sqs.destroy();
    await new Promise((r) => setTimeout(r, 1500));
    expect(first.output()).toMatch(/function throttled, retrying the batch/);
    expect(await first.stop('SIGINT')).toBe(0);

    const second = await startStack(args, stateDir);
    const again = new Tokens(stateDir, second.info.issuer, second.info.audience);
    try {
      const status = async () => {
        const response = await fetch(`${second.info.apiUrl}/orders/${orderId}`, {
          headers: { authorization: `Bearer ${again.for('paula')}` },
        });
        return ((await response.json()) as { status?: string }).status;
      };
      let seen: string | undefined;
      for (let i = 0; i < 100 && seen !== 'SHIPPED'; i++) {
        seen = await status();
        await new Promise((r) => setTimeout(r, 200));
      }
      expect({ seen, log: seen === 'SHIPPED' ? '' : second.output() }).toEqual({
        seen: 'SHIPPED',
        log: '',
      });
      for (let i = 0; i < 100 && !second.output().includes('Stock arrival applied'); i++) {
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(second.output()).toMatch(/RestockFunction.*1 done/);
    } finally {
      await second.stop();
    }
  }, 120_000);
});
