import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { PortInUseError } from './net';
import { loadTemplate, tableDefinitions } from './template';

export interface DynamoDbEndpoint {
  url: string;
  /** Where the endpoint comes from, for the log. */
  kind: 'given' | 'dynamodb-local' | 'dynalite';
  stop(): Promise<void>;
}

/**
 * A DynamoDB endpoint for tests and the local stack, in this order:
 * 1. `DYNAMODB_ENDPOINT`, when set, is used as it is;
 * 2. with a container runtime, Amazon's DynamoDB Local image through testcontainers (pulled by
 *    the user, under Amazon's licence terms);
 * 3. otherwise dynalite, in this process (Apache-2.0; no transactions, no Streams API).
 */
export async function startDynamoDb(
  options: { useContainers?: boolean; dynalitePath?: string; port?: number; host?: string } = {},
): Promise<DynamoDbEndpoint> {
  const given = process.env.DYNAMODB_ENDPOINT;
  if (given) return { url: given, kind: 'given', stop: async () => {} };
  if (options.useContainers ?? true) {
    const container = await startDynamoDbLocalContainer();
    if (container) return container;
  }
  return startDynalite(options.dynalitePath, options.port, options.host);
}

async function startDynamoDbLocalContainer(): Promise<DynamoDbEndpoint | undefined> {
  const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined; // no container runtime answers here
  }
  const container = await new GenericContainer('amazon/dynamodb-local:2.6.1')
    .withExposedPorts(8000)
    .withCommand(['-jar', 'DynamoDBLocal.jar', '-inMemory', '-sharedDb'])
    .start();
  return {
    url: `http://${container.getHost()}:${container.getMappedPort(8000)}`,
    kind: 'dynamodb-local',
    stop: async () => {
      await container.stop();
    },
  };
}

/** dynalite in a worker thread of this process: in-process, but on the machine's other core. */
async function startDynalite(
  path?: string,
  port = 0,
  host = '127.0.0.1',
): Promise<DynamoDbEndpoint> {
  const worker = new Worker(join(__dirname, 'dynalite-worker.cjs'), {
    workerData: { path, port, host },
  });
  worker.unref();
  const [message] = (await once(worker, 'message')) as [
    { port?: number; error?: { code?: string; message: string } },
  ];
  if (message.error) {
    await worker.terminate();
    if (message.error.code === 'EADDRINUSE') throw new PortInUseError('DynamoDB (dynalite)', port);
    throw new Error(message.error.message);
  }
  return {
    url: `http://${host}:${message.port}`,
    kind: 'dynalite',
    stop: async () => {
      worker.postMessage('stop');
      await Promise.race([once(worker, 'message'), new Promise((r) => setTimeout(r, 2000))]);
      await worker.terminate();
    },
  };
}

/**
 * Creates the template's DynamoDB tables, named `<LogicalId><suffix>`, and returns the names by
 * logical id. The definitions come from template.yaml, so tests cannot drift from it.
 */
export async function createTables(
  client: DynamoDBClient,
  suffix: string,
  options: { ifMissing?: boolean } = {},
): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const [id, definition] of Object.entries(tableDefinitions(loadTemplate()))) {
    const TableName = `${id}${suffix}`;
    try {
      await client.send(new CreateTableCommand({ ...definition, TableName }));
    } catch (err: unknown) {
      // Kept from an earlier run (persisted data): use it as it is.
      if (!(options.ifMissing && err instanceof ResourceInUseException)) throw err;
    }
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName });
    names[id] = TableName;
  }
  return names;
}

/** A client for an endpoint, with the dummy credentials local endpoints accept. */
export function localDynamoDbClient(url: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: url,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}
