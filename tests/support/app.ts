import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Order } from '@orders/shared';
import { dynamoInventory, dynamoOrderLedger, dynamoOrderRepository } from '@orders/shared/dynamodb';
import { localDynamoDbClient } from '../../local/dynamodb/endpoint';
import type { Build } from '../../local/lambda';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack';
import { type Books, readBooks, violations } from './invariants';

/** The build global-setup made once for the whole run (what `sam build` would deploy). */
export function testBuild(): Build {
  const build = process.env.ORDERS_TEST_BUILD;
  if (!build) throw new Error('ORDERS_TEST_BUILD is not set: run the tests through jest');
  return JSON.parse(build) as Build;
}

export interface AppOptions extends Omit<LocalStackOptions, 'build' | 'log'> {
  /** Start an embedded DynamoDB of its own (to inject faults) instead of the shared endpoint. */
  ownDynamoDb?: boolean;
}

/**
 * The application as it deploys, in this process: the local stack running the built bundles and
 * layer, on free ports, with tables of its own (on the run's shared DynamoDB unless it asks for
 * one of its own). Tests talk to it through the same APIs a client or a function would, and read
 * the tables back with the helpers here.
 */
export async function startApp(options: AppOptions = {}) {
  const lines: string[] = [];
  const shared = process.env.DYNAMODB_ENDPOINT;
  if (options.ownDynamoDb) delete process.env.DYNAMODB_ENDPOINT;
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      ports: { api: 0, issuer: 0, dynamodb: 0, messaging: 0, stepFunctions: 0, control: 0 },
      stateDir: mkdtempSync(join(tmpdir(), 'orders-app-')),
      tableSuffix: `-${randomUUID().slice(0, 8)}`,
      reconcileEverySeconds: 3600,
      retryDelayMs: 20,
      seed: false,
      ...options,
      build: testBuild(),
      log: (line) => lines.push(line),
    });
  } finally {
    if (shared) process.env.DYNAMODB_ENDPOINT = shared;
  }
  const client = DynamoDBDocumentClient.from(localDynamoDbClient(stack.dynamodb.url), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const tables = {
    orders: stack.dynamodb.tables.OrdersTable as string,
    inventory: stack.dynamodb.tables.InventoryTable as string,
  };
  const orders = dynamoOrderRepository(client, tables.orders);

  // A queue subscribed to the order events topic: the notifications as a customer gets them.
  const aws = {
    region: 'us-east-1',
    endpoint: stack.messagingUrl,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const sqs = new SQSClient(aws);
  const sns = new SNSClient(aws);
  const { QueueUrl: inbox } = await sqs.send(new CreateQueueCommand({ QueueName: 'test-inbox' }));
  await sns.send(
    new SubscribeCommand({
      TopicArn: stack.topics.OrderEventsTopic,
      Protocol: 'sqs',
      Endpoint: 'arn:aws:sqs:us-east-1:000000000000:test-inbox',
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  const received: Array<Record<string, string>> = [];

  return {
    stack,
    client,
    tables,
    orders,
    ledger: dynamoOrderLedger(client, tables),
    inventory: dynamoInventory(client, tables.inventory),
    /** The stack's log so far. */
    lines,
    /** Invokes a function as Lambda would (its built bundle, in an execution environment). */
    invoke: (functionId: string, event: unknown) =>
      // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary function results.
      stack.lambda.invoke(functionId, event) as Promise<any>,
    /** Reads the books and fails the test on any broken invariant. */
    async books(): Promise<Books> {
      const books = await readBooks(client, tables);
      expect(violations(books)).toEqual([]);
      return books;
    },
    async order(orderId: string): Promise<Order | undefined> {
      return orders.get(orderId);
    },
    async stockItem(sku: string) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tables.inventory,
          Key: { pk: `STOCK#${sku}` },
          ConsistentRead: true,
        }),
      );
      return Item;
    },
    /** Waits until every execution has ended and every stream and queue is quiet. */
    async settle(quietMs = 1500, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let quietSince = Date.now();
      let seen = lines.length;
      while (Date.now() < deadline) {
        await stack.stepFunctions.settle();
        await new Promise((r) => setTimeout(r, 100));
        if (lines.length !== seen) {
          seen = lines.length;
          quietSince = Date.now();
        } else if (Date.now() - quietSince >= quietMs) {
          return;
        }
      }
      throw new Error(
        `The stack did not settle in ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`,
      );
    },
    /** Waits until `done` says so (checking every half second), or fails after `timeoutMs`. */
    async until(done: () => Promise<boolean>, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await done().catch(() => false))) {
        if (Date.now() > deadline) {
          throw new Error(`Not done in ${timeoutMs} ms:\n${lines.slice(-30).join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    /** Every notification published so far, as a customer would receive them. */
    async notifications(): Promise<Array<Record<string, string>>> {
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10 }),
        );
        if (Messages.length === 0) return received;
        received.push(...Messages.map((m) => JSON.parse(m.Body as string)));
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: inbox,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    },
    async stop() {
      for (const c of [client, sqs, sns]) c.destroy();
      await stack.stop();
    },
  };
}

export type App = Awaited<ReturnType<typeof startApp>>;
