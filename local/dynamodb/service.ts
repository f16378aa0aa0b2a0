/**
 * The local DynamoDB service, run in its own worker thread (see local-dynamodb.ts): dynalite on an
 * internal loopback port, and in front of it, on the public port, one HTTP server that answers
 *
 * - the DynamoDB API (`DynamoDB_20120810.*`): TransactWriteItems and TransactGetItems here
 *   (transactions.ts), writes and GetItem through dynalite under item locks with their stream
 *   records (items.ts), table operations with their StreamSpecification (tables.ts), and anything
 *   else passed to dynalite unchanged;
 * - the DynamoDB Streams API (`DynamoDBStreams_20120810.*`, streams-api.ts), as DynamoDB Local
 *   serves it on its one port;
 * - `/_local/faults` (POST a fault, GET the active ones, DELETE to clear; faults.ts), a path no
 *   AWS client uses.
 *
 * With `dataDir`, tables are kept in `<dataDir>/tables` (dynalite's LevelDB) and streams in
 * `<dataDir>/streams`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import { UsageCounter } from './capacity';
import { Dynalite, type Reply } from './dynalite';
import { AwsError } from './errors';
import { Faults } from './faults';
import { ItemOperations } from './items';
import { ItemLocks } from './locks';
import { errorReply, jsonReply, replyHeaders } from './replies';
import { StreamStore } from './streams';
import { StreamsApi } from './streams-api';
import { TableOperations } from './tables';
import { Transactions } from './transactions';

export interface ServiceOptions {
  port: number;
  host: string;
  dataDir?: string;
  /** Count capacity units of every request (asking dynalite for them when the client did not). */
  accounting: boolean;
  region: string;
}

/** dynalite's limit on a request body (its index.js), which it answers with 413. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** Operations that take ReturnConsumedCapacity and that dynalite answers itself. */
const CAPACITY_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchGetItem',
  'BatchWriteItem',
  'Query',
  'Scan',
]);

export async function startService(options: ServiceOptions) {
  const engine = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    path: options.dataDir ? join(options.dataDir, 'tables') : undefined,
  });
  // Requests reach dynalite in this thread (see Dynalite.forward); it listens on a loopback port
  // only because its close() closes its LevelDB store after closing its server.
  engine.listen(0, '127.0.0.1');
  await once(engine, 'listening');
  const db = new Dynalite(engine);
  const streams = await StreamStore.open(
    options.region,
    options.dataDir ? join(options.dataDir, 'streams') : undefined,
  );
  const locks = new ItemLocks();
  const usage = new UsageCounter();
  const faults = new Faults();
  const transactions = new Transactions(db, locks, streams, usage);
  const items = new ItemOperations(db, locks, streams);
  const tables = new TableOperations(db, streams);
  const streamsApi = new StreamsApi(streams);
  const tableArn = (name: string) =>
    `arn:aws:dynamodb:${options.region}:000000000000:table/${name}`;

  async function dynamoDb(req: IncomingMessage, operation: string, raw: Buffer): Promise<Reply> {
    // Over dynalite's request limit: it answers 413 to the request as sent (one re-serialized
    // below could lose the whitespace that made it too large).
    if (raw.length > MAX_REQUEST_BYTES) return db.forward(req.url ?? '/', req.headers, raw);
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(raw.toString('utf8') || '{}');
    } catch {
      return db.forward(req.url ?? '/', req.headers, raw); // dynalite answers SerializationException
    }
    usage.request(operation);
    const fault = faults.check(operation, tablesOf(input), tableArn);
    if (fault) return errorReply(fault);

    const askCapacity =
      options.accounting &&
      CAPACITY_OPERATIONS.has(operation) &&
      input.ReturnConsumedCapacity === undefined;
    const forward = async (changed?: Record<string, unknown>) => {
      const request = changed ?? input;
      const body = askCapacity ? { ...request, ReturnConsumedCapacity: 'TOTAL' } : changed;
      const reply = await db.forward(
        req.url ?? '/',
        req.headers,
        body ? Buffer.from(JSON.stringify(body)) : raw,
      );
      return options.accounting ? counted(operation, reply, askCapacity) : reply;
    };
    switch (operation) {
      case 'TransactWriteItems':
        return jsonReply(200, await transactions.write(input));
      case 'TransactGetItems':
        return jsonReply(200, await transactions.get(input));
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem':
        return items.write(operation, input, forward);
      case 'BatchWriteItem':
        return items.batchWrite(input, forward);
      case 'GetItem':
        return items.read(input, forward);
      default:
        return tables.handle(operation, input, forward);
    }
  }

  /** Counts the capacity an answer reports; drops it if only the accounting asked for it. */
  function counted(operation: string, reply: Reply, asked: boolean): Reply {
    if (reply.status !== 200 || !CAPACITY_OPERATIONS.has(operation)) return reply;
    const body = JSON.parse(reply.body.toString('utf8') || '{}');
    if (body.ConsumedCapacity) usage.consumed(operation, body.ConsumedCapacity);
    if (!asked) return reply;
    delete body.ConsumedCapacity;
    return { ...reply, body: Buffer.from(JSON.stringify(body)) };
  }

  function admin(req: IncomingMessage, raw: Buffer): Reply {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/_local/faults') return jsonReply(404, { message: `No ${path} here` });
    if (req.method === 'GET') return jsonReply(200, { faults: faults.list() });
    if (req.method === 'DELETE') {
      clearFaults();
      return jsonReply(200, { faults: [] });
    }
    if (req.method === 'POST') {
      try {
        return jsonReply(200, injectFault(JSON.parse(raw.toString('utf8') || 'null')));
      } catch (err: unknown) {
        if (err instanceof SyntaxError) return jsonReply(400, { message: 'The body is not JSON' });
        throw err;
      }
    }
    return jsonReply(405, { message: 'Use GET, POST or DELETE' });
  }

  async function answer(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const [api, operation = ''] = String(req.headers['x-amz-target'] ?? '').split('.');
    let reply: Reply;
    try {
      if ((req.url ?? '').startsWith('/_local/')) reply = admin(req, raw);
      else if (api === 'DynamoDBStreams_20120810')
        reply = jsonReply(
          200,
          streamsApi.handle(operation, JSON.parse(raw.toString('utf8') || '{}')),
        );
      else if (api === 'DynamoDB_20120810' && req.method === 'POST')
        reply = await dynamoDb(req, operation, raw);
      else reply = await db.forward(req.url ?? '/', req.headers, raw, req.method);
    } catch (err: unknown) {
      if (err instanceof AwsError) reply = errorReply(err);
      else if (err instanceof SyntaxError)
        reply = errorReply(
          new AwsError(
            'SerializationException',
            'Start of structure or map found where not expected',
          ),
        );
      else {
        console.error('local DynamoDB:', err);
        reply = errorReply(new AwsError('InternalServerError', 'Internal server error', 500));
      }
    }
    res.writeHead(reply.status, replyHeaders(reply));
    res.end(reply.body);
  }

  // The public server, which `unreachable` faults close and open again on the same port.
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    void answer(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  let reopen: NodeJS.Timeout | undefined;

  function closePublic(): Promise<void> {
    const closed = server.listening
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
    for (const socket of sockets) socket.destroy();
    return closed;
  }

  async function goUnreachable() {
    await closePublic();
    scheduleReopen();
  }

  function scheduleReopen() {
    clearTimeout(reopen);
    const until = faults.unreachableUntil();
    if (until === undefined) {
      if (!server.listening) server.listen(port, options.host);
      return;
    }
    reopen = setTimeout(scheduleReopen, Math.max(until - Date.now(), 1));
  }

  function injectFault(input: unknown) {
    const fault = faults.add(input);
    // Answered first, then the port closes (the answer's own connection is reset with the rest).
    if (fault.mode === 'unreachable') setImmediate(() => void goUnreachable());
    return fault;
  }

  function clearFaults() {
    faults.clear();
    scheduleReopen();
  }

  return {
    port,
    injectFault,
    listFaults: () => faults.list(),
    clearFaults,
    usage: () => usage.snapshot(),
    async stop() {
      clearTimeout(reopen);
      await closePublic();
      await new Promise<void>((resolve) => engine.close(() => resolve()));
      await streams.close();
    },
  };
}

/** The tables a DynamoDB request touches, for faults restricted to tables. */
function tablesOf(input: Record<string, unknown>): string[] {
  if (typeof input.TableName === 'string') return [input.TableName];
  if (input.RequestItems && typeof input.RequestItems === 'object')
    return Object.keys(input.RequestItems);
  if (Array.isArray(input.TransactItems))
    return (input.TransactItems as Array<Record<string, { TableName?: string }>>)
      .flatMap((entry) => Object.values(entry ?? {}).map((action) => action?.TableName))
      .filter((name): name is string => typeof name === 'string');
  return [];
}

type Request = {
  id: number;
  method: 'injectFault' | 'listFaults' | 'clearFaults' | 'usage' | 'stop';
  args: unknown[];
};

/** The worker thread's side: starts the service and answers the main thread's calls. */
export async function runInWorker() {
  const port = parentPort;
  if (!port) throw new Error('service.ts runs in a worker thread started by local-dynamodb.ts');
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService(workerData as ServiceOptions);
  } catch (err: unknown) {
    const { code, message } = err as { code?: string; message: string };
    port.postMessage({ error: { code, message } });
    return;
  }
  port.postMessage({ port: service.port });
  port.on('message', async ({ id, method, args }: Request) => {
    try {
      const result = await (service[method] as (...a: unknown[]) => unknown)(...args);
      port.postMessage({ id, result });
    } catch (err: unknown) {
      const { name, message } = err as Error;
      port.postMessage({ id, error: { name, message } });
    }
  });
}
