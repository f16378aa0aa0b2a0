import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoInventory } from '@orders/shared/dynamodb';
import { type Build, buildApplication, LambdaService } from '../../local/lambda/index';
import { loadTemplate, ROOT, tableDefinitions } from '../../local/template';

// The bundles `sam build` makes, built by local/lambda/build.ts, run by the local Lambda service:
// what deploys is what these tests prove, the layer included.

const work = mkdtempSync(join(tmpdir(), 'local-lambda-bundles-'));
const template = loadTemplate();
const endpoint = process.env.DYNAMODB_ENDPOINT as string;
let build: Build;
/** This file's own copy of each table of the template, by logical id. */
const tables: Record<string, string> = {};
const services: LambdaService[] = [];

beforeAll(async () => {
  build = await buildApplication(template, join(work, 'build'));
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const suffix = randomUUID().slice(0, 8);
  for (const [id, definition] of Object.entries(tableDefinitions(template))) {
    const TableName = `${id}-${suffix}`;
    await client.send(new CreateTableCommand({ ...definition, TableName }));
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName });
    tables[id] = TableName;
  }
  // The SKUs of the sample order, so the orders are accepted.
  const inventory = dynamoInventory(
    DynamoDBDocumentClient.from(client),
    tables.InventoryTable as string,
  );
  for (const sku of ['WIDGET-1', 'GADGET-7']) {
    await inventory.receive({ arrivalId: `seed-${sku}`, sku, quantity: 10_000 }, new Date());
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  rmSync(work, { recursive: true, force: true });
});

/** The template's variables of a function, its tables' names resolved to this file's tables. */
function templateVariables(logicalId: string): Record<string, string> {
  const variables = {
    ...template.Globals.Function.Environment.Variables,
    ...template.Resources[logicalId].Properties.Environment?.Variables,
  };
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      const ref = (value as { Ref?: string }).Ref;
      return [name, ref ? (tables[ref] ?? ref) : String(value)];
    }),
  );
}

/** CreateOrderFunction as the stack configures it, with its layer at `layerNodeModules`. */
function createOrderFunction(layerNodeModules = build.layerNodeModules) {
  const lambda = new LambdaService();
  services.push(lambda);
  const built = build.functions.CreateOrderFunction;
  if (!built) throw new Error('No CreateOrderFunction in the build');
  const globals = template.Globals.Function;
  return lambda.createFunction({
    functionName: 'CreateOrderFunction',
    codeDir: built.dir,
    handler: built.handler,
    timeoutSeconds: globals.Timeout,
    memoryMb: globals.MemorySize,
    environment: {
      ...templateVariables('CreateOrderFunction'),
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_LAMBDA_LOG_LEVEL: 'WARN',
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'CreateOrderFunction',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(globals.MemorySize),
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_SAM_LOCAL: 'true',
      LAMBDA_TASK_ROOT: built.dir,
      _HANDLER: built.handler,
      NODE_PATH: layerNodeModules,
    },
  });
}

/** A POST /orders request from `customer`, as the HTTP API hands it to the function. */
function orderRequest(customer: string) {
  const event = JSON.parse(readFileSync(join(ROOT, 'events', 'create-order.json'), 'utf8'));
  event.requestContext.authorizer.jwt.claims.sub = customer;
  delete event.headers['idempotency-key'];
  return event;
}

/** A copy of the layer whose package throws when it is loaded. */
function brokenLayer(): string {
  const copy = join(work, 'broken-layer');
  cpSync(build.layerNodeModules, copy, { recursive: true });
  writeFileSync(
    join(copy, '@orders', 'shared', 'index.js'),
    "throw new Error('layer broken on purpose');",
  );
  return copy;
}

/** The memory the processes use, shared pages split between them (PSS, MB). */
function memoryMb(pids: Array<number | undefined>): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      kb += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // ended meanwhile, or not Linux
    }
  }
  return kb / 1024;
}

describe('local Lambda: the built bundles', () => {
  it("keeps the core's error class names, which Lambda's runtime logs as errorType", () => {
    const core = require(join(build.layerNodeModules, '@orders', 'shared', 'index.js'));
    for (const name of ['TransientError', 'NotFoundError', 'StockChangedError']) {
      expect(new core[name]('x').constructor.name).toBe(name);
    }
  });

  it('serves POST /orders with the layer found through NODE_PATH', async () => {
    const fn = createOrderFunction();

    const response = (await fn.invoke(orderRequest('bundle-alice'))) as {
      statusCode: number;
      body: string;
    };

    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'PENDING' });
  });

  it('fails init with Runtime.ImportModuleError when the layer directory is empty', async () => {
    const empty = join(work, 'empty-layer');
    mkdirSync(empty, { recursive: true });
    const fn = createOrderFunction(empty);

    await expect(fn.invoke(orderRequest('bundle-bob'))).rejects.toMatchObject({
      errorType: 'Runtime.ImportModuleError',
      message: expect.stringMatching(
        /^Error: Cannot find module '@orders\/shared'\nRequire stack:/,
      ),
    });
  });

  it("fails init with the layer's own error when its index.js throws on load", async () => {
    const fn = createOrderFunction(brokenLayer());

    await expect(fn.invoke(orderRequest('bundle-carol'))).rejects.toMatchObject({
      errorType: 'Error',
      message: 'layer broken on purpose',
    });
  });

  it('completes a burst of 200 concurrent invocations without an error', async () => {
    const fn = createOrderFunction();
    let peakMb = 0;
    const sampler = setInterval(() => {
      peakMb = Math.max(peakMb, memoryMb(fn.environments().map((e) => e.pid)));
    }, 250);
    const started = performance.now();

    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => fn.invoke(orderRequest(`burst-${i}`))),
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);

    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toEqual([]);
    const statuses = results.map((r) =>
      r.status === 'fulfilled' ? (r.value as { statusCode: number }).statusCode : 0,
    );
    expect(new Set(statuses)).toEqual(new Set([202]));
    const { invocations, coldStarts, peakEnvironments, throttles } = fn.usage;
    expect({ invocations, throttles }).toEqual({ invocations: 200, throttles: 0 });
    // No environment ended during the burst: none timed out or crashed.
    expect(peakEnvironments).toBe(coldStarts);
    console.log(
      `burst: 200 concurrent invocations in ${seconds.toFixed(1)} s, ${coldStarts} cold starts, ` +
        `peak ${Math.round(peakMb)} MB across the environments (PSS)`,
    );
  }, 180_000);
});
