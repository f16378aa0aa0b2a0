import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { loadTemplate, tableDefinitions } from '../template';
import { type LocalDynamoDb, startLocalDynamoDb } from './local-dynamodb';

export interface DynamoDbEndpoint {
  url: string;
  /** Where the endpoint comes from, for the log. */
  kind: 'given' | 'dynamodb-local' | 'embedded';
  /** The embedded service (faults, capacity counts); undefined for the other kinds. */
  embedded?: LocalDynamoDb;
  stop(): Promise<void>;
}

/**
 * A DynamoDB endpoint (with the Streams API on the same URL) for tests and the local stack, in
 * this order:
 * 1. `DYNAMODB_ENDPOINT`, when set, is used as it is;
 * 2. with a container runtime (and `useContainers`), Amazon's DynamoDB Local image through
 *    testcontainers (pulled by the user, under Amazon's licence terms);
 * 3. otherwise the embedded service (./local-dynamodb.ts): dynalite with transactions, streams,
 *    persistence and fault injection added.
 */
export async function startDynamoDb(
  options: {
    useContainers?: boolean;
    dataDir?: string;
    port?: number;
    host?: string;
    accounting?: boolean;
  } = {},
): Promise<DynamoDbEndpoint> {
  const given = process.env.DYNAMODB_ENDPOINT;
  if (given) return { url: given, kind: 'given', stop: async () => {} };
  if (options.useContainers ?? true) {
    const container = await startDynamoDbLocalContainer();
    if (container) return container;
  }
  const embedded = await startLocalDynamoDb({
    port: options.port,
    host: options.host,
    dataDir: options.dataDir,
    accounting: options.accounting,
  });
  return { url: embedded.url, kind: 'embedded', embedded, stop: () => embedded.stop() };
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
