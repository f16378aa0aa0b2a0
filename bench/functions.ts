import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTables, localDynamoDbClient, startDynamoDb } from '../local/dynamodb';
import { startStepFunctionsEndpoint } from '../local/step-functions-endpoint';
import { loadTemplate, ROOT } from '../local/template';
import { dynamoInventoryStore } from '../src/layers/shared/src/adapters/dynamodb-inventory';
import { dynamoOrderRepository } from '../src/layers/shared/src/adapters/dynamodb-orders';
import { percentile } from './stats';
import { BENCH_DIR, type Variant, type VariantName } from './variants';

const run = promisify(execFile);

export interface FunctionFigures {
  ownBytes: number;
  ownGzip: number;
  withLayerBytes: number;
  withLayerGzip: number;
  coldLoad: { p50: number; p90: number };
  firstInvocation: { p50: number; p90: number };
  warm: { p50: number; p99: number };
}

const SAMPLE_ORDER = '0b6f7c1e-2f4d-4c1a-9a53-6f1f3b2d9e10';

function size(files: string[]) {
  const buffers = files.map((f) => readFileSync(f));
  return {
    bytes: buffers.reduce((n, b) => n + b.length, 0),
    gzip: buffers.reduce((n, b) => n + gzipSync(b).length, 0),
  };
}

/**
 * Load, first-call and warm-call figures for every function of every variant, each in fresh
 * Node.js processes (the runtime's major) against the embedded DynamoDB.
 */
export async function measureFunctions(
  variants: Record<VariantName, Variant>,
  options: { coldRuns: number; firstRuns: number; warmCalls: number; log: (l: string) => void },
) {
  const template = loadTemplate();
  process.env.DYNAMODB_ENDPOINT = '';
  const dynamo = await startDynamoDb({ useContainers: false });
  const client = localDynamoDbClient(dynamo.url);
  const tables = await createTables(client, '');
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const orders = dynamoOrderRepository(doc, tables.OrdersTable as string);
  const inventory = dynamoInventoryStore(doc, tables.InventoryTable as string);
  await inventory.addStock('WIDGET-1', 10_000_000, 'bench-widget');
  await inventory.addStock('GADGET-7', 10_000_000, 'bench-gadget');
  // Executions are accepted and end at once: start-workflow and restock measure their own work.
  const sfn = await startStepFunctionsEndpoint(async () => ({}));

  const eventsDir = join(BENCH_DIR, 'events');
  mkdirSync(eventsDir, { recursive: true });

  /** A fresh PENDING order, so each process works on real data. */
  async function freshOrder() {
    const orderId = crypto.randomUUID();
    const now = new Date().toISOString();
    await orders.create({
      orderId,
      customerId: 'customer-123',
      status: 'PENDING',
      items: [{ sku: 'WIDGET-1', quantity: 1 }],
      shippingAddress: { name: 'A', line1: 'L', city: 'C', postalCode: 'P', country: 'GB' },
      createdAt: now,
      updatedAt: now,
      requestHash: 'bench',
    });
    return orderId;
  }

  /** The function's sample event from events/, pointed at fresh data where it names an order. */
  async function eventFor(functionId: string): Promise<string> {
    const codeUri = String(template.Resources[functionId].Properties.CodeUri);
    const name = codeUri.split('/').pop() as string;
    let text = readFileSync(join(ROOT, 'events', `${name}.json`), 'utf8');
    if (text.includes(SAMPLE_ORDER)) text = text.replaceAll(SAMPLE_ORDER, await freshOrder());
    const event = JSON.parse(text);
    // Without its Idempotency-Key, each warm call places a new order, as new customers would.
    if (name === 'create-order') delete event.headers['idempotency-key'];
    if (name === 'ship-order' || name === 'backorder-order') {
      const id = event.orderId as string;
      if (name === 'ship-order') {
        await inventory.reserve(id, [{ sku: 'WIDGET-1', quantity: 1 }]);
        await orders.transition(id, ['PENDING'], 'RESERVED');
      }
    }
    const file = join(eventsDir, `${functionId}-${crypto.randomUUID()}.json`);
    writeFileSync(file, JSON.stringify(event));
    return file;
  }

  function environment(variant: Variant, functionId: string): NodeJS.ProcessEnv {
    const r = template.Resources[functionId];
    const vars: Record<string, string> = {
      ...(template.Globals?.Function?.Environment?.Variables ?? {}),
    };
    for (const [k, v] of Object.entries(r.Properties.Environment?.Variables ?? {})) {
      const ref = (v as { Ref?: string }).Ref;
      vars[k] =
        ref === 'OrdersTable' || ref === 'InventoryTable'
          ? (tables[ref] as string)
          : `arn:aws:states:us-east-1:000000000000:stateMachine:${ref}`;
    }
    return {
      PATH: process.env.PATH,
      ...vars,
      POWERTOOLS_LOG_LEVEL: 'WARN',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_LAMBDA_FUNCTION_NAME: functionId,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_SAM_LOCAL: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_SFN: sfn.url,
      ...(variant.nodePath ? { NODE_PATH: variant.nodePath } : {}),
    };
  }

  async function probe(
    variant: Variant,
    functionId: string,
    mode: string,
    eventFile = '',
    count = 0,
  ) {
    const f = variant.functions[functionId];
    if (!f) throw new Error(`${functionId} missing from ${variant.name}`);
    const { stdout } = await run(
      process.execPath,
      [join(__dirname, 'probe.cjs'), mode, f.file, f.exportName, eventFile, String(count)],
      { env: environment(variant, functionId), cwd: BENCH_DIR, maxBuffer: 64 * 1024 * 1024 },
    );
    return JSON.parse(stdout.trim().split('\n').pop() as string) as {
      loadMs: number;
      firstMs?: number;
      times?: number[];
    };
  }

  const results: Record<string, Record<string, FunctionFigures>> = {};
  for (const variant of Object.values(variants)) {
    const figures: Record<string, FunctionFigures> = {};
    results[variant.name] = figures;
    for (const functionId of Object.keys(variant.functions)) {
      const loads: number[] = [];
      for (let i = 0; i < options.coldRuns; i++)
        loads.push((await probe(variant, functionId, 'load')).loadMs);
      const firsts: number[] = [];
      for (let i = 0; i < options.firstRuns; i++) {
        const r = await probe(variant, functionId, 'first', await eventFor(functionId));
        firsts.push(r.loadMs + (r.firstMs ?? 0));
      }
      const warm = await probe(
        variant,
        functionId,
        'warm',
        await eventFor(functionId),
        options.warmCalls,
      );
      const own = size(variant.functions[functionId]?.ownFiles ?? []);
      const withLayer = size([
        ...(variant.functions[functionId]?.ownFiles ?? []),
        ...variant.layerFiles,
      ]);
      figures[functionId] = {
        ownBytes: own.bytes,
        ownGzip: own.gzip,
        withLayerBytes: withLayer.bytes,
        withLayerGzip: withLayer.gzip,
        coldLoad: { p50: percentile(loads, 50), p90: percentile(loads, 90) },
        firstInvocation: { p50: percentile(firsts, 50), p90: percentile(firsts, 90) },
        warm: { p50: percentile(warm.times ?? [], 50), p99: percentile(warm.times ?? [], 99) },
      };
      options.log(
        `${variant.name.padEnd(9)} ${functionId.padEnd(24)} cold load p50 ${percentile(loads, 50).toFixed(1)} ms, warm p50 ${percentile(warm.times ?? [], 50).toFixed(2)} ms`,
      );
    }
  }
  await sfn.close();
  await dynamo.stop();
  return results as Record<VariantName, Record<string, FunctionFigures>>;
}
