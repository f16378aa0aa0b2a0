import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Order } from '@orders/shared';
import { dynamoInventory, dynamoOrderLedger, dynamoOrderRepository } from '@orders/shared/dynamodb';
import { LOCAL_CLIENT_ID, loadOrCreateKeys, mintToken, startIssuer } from '../local/cognito/issuer';
import { createTables, localDynamoDbClient } from '../local/dynamodb/endpoint';
import { type LocalDynamoDb, startLocalDynamoDb } from '../local/dynamodb/local-dynamodb';
import { type ResolveContext, resolve } from '../local/resolve';
import { localArn } from '../local/stack';
import { startStepFunctions } from '../local/stepfunctions/service';
import { loadTemplate, ROOT } from '../local/template';
import { BENCH_DIR, type Subject } from './builds';

/** The order id the sample events in events/ name. */
const SAMPLE_ORDER = '0b6f7c1e-2f4d-4c1a-9a53-6f1f3b2d9e10';
const CUSTOMER = 'customer-123';
const REGION = 'us-east-1';
const PLENTY = 10_000_000;

type Event = Record<string, unknown>;

const sample = (name: string) => readFileSync(join(ROOT, 'events', `${name}.json`), 'utf8');

/** A function the bench has no sample event for (one added to the template, say). */
export class NoFixtureError extends Error {
  constructor(readonly functionId: string) {
    super(`No fixture for ${functionId}: add its event to Fixtures.event in bench/fixtures.ts`);
  }
}

/**
 * What the functions run against in the per-function measurement: the embedded DynamoDB (with
 * capacity accounting), a Step Functions endpoint whose executions end at once, and a token
 * issuer; per subject its own tables, so that no subject's data changes another's figures. Each
 * `event()` is the function's sample event from events/ pointed at fresh data: a new order in
 * the state its step expects, a new arrival id, a new execution name.
 */
export class Fixtures {
  private readonly template = loadTemplate();
  private readonly data = new Map<string, Awaited<ReturnType<Fixtures['tables']>>>();

  private constructor(
    readonly dynamodb: LocalDynamoDb,
    private readonly client: DynamoDBDocumentClient,
    private readonly issuer: {
      issuer: string;
      token: () => Promise<string>;
      close(): Promise<void>;
    },
    private readonly stepFunctions: { url: string; close(): Promise<void> },
  ) {}

  static async start(): Promise<Fixtures> {
    const dynamodb = await startLocalDynamoDb({ accounting: true });
    const client = DynamoDBDocumentClient.from(localDynamoDbClient(dynamodb.url), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const keys = await loadOrCreateKeys(join(BENCH_DIR, 'issuer-keys.json'));
    const running = await startIssuer(keys);
    const issuer = {
      ...running,
      token: () =>
        mintToken(keys, { issuer: running.issuer, sub: CUSTOMER, scopes: ['orders/write'] }),
    };
    const stepFunctions = await startStepFunctions({
      stateMachineArn: localArn('states', 'OrderWorkflow'),
      run: () => ({ eventLogs: (async function* () {})(), result: Promise.resolve({}) }),
    });
    return new Fixtures(dynamodb, client, issuer, stepFunctions);
  }

  async stop() {
    this.client.destroy();
    await Promise.all([this.issuer.close(), this.stepFunctions.close()]);
    await this.dynamodb.stop();
  }

  /** The subject's tables, created and stocked on first use. */
  private async tables(subject: Subject) {
    const suffix = `-${subject.name.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '')}`;
    const names = await createTables(localDynamoDbClient(this.dynamodb.url), suffix);
    const tables = {
      orders: names.OrdersTable as string,
      inventory: names.InventoryTable as string,
    };
    const data = {
      names,
      tables,
      orders: dynamoOrderRepository(this.client, tables.orders),
      ledger: dynamoOrderLedger(this.client, tables),
      inventory: dynamoInventory(this.client, tables.inventory),
      /** Orders a reconciler run rescued: out of the in-flight index before the next run. */
      rescued: [] as string[],
    };
    // Backorder's sample event says WIDGET-1 is short: there it is, with no units.
    const widgets = subject.fixture === 'BackorderOrderFunction' ? 0 : PLENTY;
    for (const [sku, quantity] of [
      ['WIDGET-1', widgets],
      ['GADGET-7', PLENTY],
      ['GIZMO-9', 0],
    ] as const) {
      await data.inventory.receive({ arrivalId: `seed-${sku}`, sku, quantity }, new Date());
    }
    if (subject.fixture === 'ListOrdersFunction') {
      for (let i = 0; i < 20; i++) await this.newOrder(data);
    }
    return data;
  }

  private async dataOf(subject: Subject) {
    const known = this.data.get(subject.name);
    if (known) return known;
    const made = await this.tables(subject);
    this.data.set(subject.name, made);
    return made;
  }

  /** A new PENDING order of the sample customer, for one unit of `sku`. */
  private async newOrder(
    data: Awaited<ReturnType<Fixtures['tables']>>,
    sku = 'WIDGET-1',
    createdAt = new Date(),
  ): Promise<Order> {
    const body = JSON.parse(JSON.parse(sample('create-order')).body);
    const orderId = randomUUID();
    const order: Order = {
      orderId,
      customerId: CUSTOMER,
      status: 'PENDING',
      items: [{ sku, quantity: 1 }],
      shippingAddress: body.shippingAddress,
      createdAt: createdAt.toISOString(),
      updatedAt: createdAt.toISOString(),
      requestHash: 'bench',
      executionName: orderId,
    };
    await data.orders.create(order);
    return order;
  }

  /** The subject's event, pointed at fresh data. */
  async event(subject: Subject): Promise<Event> {
    const data = await this.dataOf(subject);
    const withOrder = (name: string, orderId: string) =>
      JSON.parse(sample(name).replaceAll(SAMPLE_ORDER, orderId)) as Event;
    switch (subject.fixture) {
      case 'floor':
        return { orderId: (await this.newOrder(data)).orderId, body: createOrderBody() };
      case 'CreateOrderFunction': {
        // Without its Idempotency-Key every call places a new order, as new customers do.
        const event = JSON.parse(sample('create-order'));
        delete event.headers['idempotency-key'];
        return event;
      }
      case 'GetOrderFunction':
        return withOrder('get-order', (await this.newOrder(data)).orderId);
      case 'ListOrdersFunction':
        return JSON.parse(sample('list-orders'));
      case 'StartWorkflowFunction':
        return withOrder('start-workflow', randomUUID());
      case 'ProcessOrderFunction':
        // As the workflow calls it: the execution's input, with the order's snapshot.
        return { ...withOrder('process-order', (await this.newOrder(data)).orderId) };
      case 'BackorderOrderFunction':
        return withOrder('backorder-order', (await this.newOrder(data)).orderId);
      case 'ShipOrderFunction':
      case 'FailOrderFunction': {
        // The failure path at its costliest: a reserved order whose stock is given back.
        const order = await this.newOrder(data);
        await data.ledger.reserve(order, new Date());
        const name = subject.fixture === 'ShipOrderFunction' ? 'ship-order' : 'fail-order';
        return withOrder(name, order.orderId);
      }
      case 'RestockFunction': {
        const event = JSON.parse(sample('restock')) as { Records: Array<{ body: string }> };
        for (const record of event.Records) {
          const body = JSON.parse(record.body);
          record.body = JSON.stringify({ ...body, arrivalId: `${body.arrivalId}-${randomUUID()}` });
        }
        return event as unknown as Event;
      }
      case 'ResumeBackordersFunction': {
        // An order waiting for GIZMO-9, and the unit that has just arrived for it.
        const order = await this.newOrder(data, 'GIZMO-9');
        await data.ledger.backorder(order, ['GIZMO-9'], new Date());
        const arrival = { arrivalId: randomUUID(), sku: 'GIZMO-9', quantity: 1 };
        await data.inventory.receive(arrival, new Date());
        return JSON.parse(sample('resume-backorders'));
      }
      case 'ReconcileOrdersFunction': {
        // One order stalled an hour ago whose execution never started; the earlier ones are out
        // of the in-flight index, as their workflow would have taken them out.
        for (const orderId of data.rescued.splice(0)) {
          await this.client.send(
            new UpdateCommand({
              TableName: data.tables.orders,
              Key: { pk: `ORDER#${orderId}`, sk: 'ORDER' },
              UpdateExpression: 'REMOVE gsi2pk, gsi2sk',
            }),
          );
        }
        const order = await this.newOrder(data, 'WIDGET-1', new Date(Date.now() - 3_600_000));
        data.rescued.push(order.orderId);
        return JSON.parse(sample('reconcile-orders'));
      }
      case 'AuthorizeRequestFunction':
        // No sample event in events/: the request API Gateway sends a Lambda authorizer
        // (payload 2.0) for POST /orders with a valid token.
        return {
          version: '2.0',
          type: 'REQUEST',
          routeArn: `arn:aws:execute-api:${REGION}:000000000000:api/$default/POST/orders`,
          identitySource: [`Bearer ${await this.issuer.token()}`],
          routeKey: 'POST /orders',
          rawPath: '/orders',
          rawQueryString: '',
          headers: { authorization: `Bearer ${await this.issuer.token()}` },
          requestContext: { http: { method: 'POST', path: '/orders' }, routeKey: 'POST /orders' },
        };
      case 'AddTokenScopesFunction':
        return JSON.parse(sample('add-token-scopes'));
      default:
        throw new NoFixtureError(subject.fixture);
    }
  }

  /**
   * The environment a function gets on Lambda: the template's variables (Globals and its own,
   * resolved against this run's tables and endpoints) and what Lambda's Node.js runtime sets.
   */
  async environment(subject: Subject): Promise<Record<string, string>> {
    const data = await this.dataOf(subject);
    const resource = this.template.Resources[subject.fixture];
    const ctx: ResolveContext = {
      template: this.template,
      parameters: { JwtIssuer: this.issuer.issuer, JwtAudience: LOCAL_CLIENT_ID },
      region: REGION,
      accountId: '000000000000',
      ref: (id) =>
        data.names[id] ?? (id === 'OrderWorkflow' ? localArn('states', id) : `${id}-local`),
      getAtt: (id, attribute) => `arn:aws:local:${REGION}:000000000000:${id}/${attribute}`,
    };
    const variables = resolve(ctx, {
      ...this.template.Globals?.Function?.Environment?.Variables,
      ...resource?.Properties?.Environment?.Variables,
    }) as Record<string, unknown>;
    const declared = Object.fromEntries(
      Object.entries(variables)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    );
    const name = resource ? subject.fixture : 'BenchFloor';
    return {
      PATH: process.env.PATH ?? '',
      ...declared,
      ...(resource ? {} : { ORDERS_TABLE: data.tables.orders }),
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local',
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(
        resource?.Properties?.MemorySize ?? this.template.Globals?.Function?.MemorySize ?? 128,
      ),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      // What Lambda sets per invocation for active tracing; only the Tracer variant reads it.
      _X_AMZN_TRACE_ID:
        'Root=1-6745f0a1-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1',
      LAMBDA_TASK_ROOT: join(subject.file, '..'),
      _HANDLER: 'index.handler',
      TZ: ':UTC',
      AWS_ENDPOINT_URL_DYNAMODB: this.dynamodb.url,
      AWS_ENDPOINT_URL_SFN: this.stepFunctions.url,
      ...(subject.nodePath ? { NODE_PATH: subject.nodePath } : {}),
    };
  }
}

/** The body of the sample POST /orders, which the validation variants parse. */
export function createOrderBody(): string {
  return JSON.parse(sample('create-order')).body as string;
}
