import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { listen } from './net';

type Item = Record<string, AttributeValue>;
export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

export interface CapturedTable {
  tableName: string;
  keyNames: string[];
  viewType: StreamViewType;
  streamArn: string;
}

/** An ordered, in-memory stream of one table's changes, read by the stream trigger. */
export class ChangeLog {
  readonly records: DynamoDBRecord[] = [];
  private waiters: Array<() => void> = [];

  append(record: DynamoDBRecord) {
    this.records.push(record);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves when a record beyond `position` exists, or after `timeoutMs`. */
  async waitBeyond(position: number, timeoutMs: number): Promise<void> {
    if (this.records.length > position) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/**
 * dynalite has no Streams API, so this proxy sits in front of it and records each change to a
 * table that has a stream, as DynamoDB Streams would: the item's old and new images around every
 * successful write, with the table's StreamViewType, in order. Writes to the same item are
 * serialised so that each image pair belongs to exactly one write (DynamoDB Streams orders the
 * changes of an item; writes to different items run side by side). Where it differs from AWS:
 * one shard, records kept in memory for the life of the process (not 24 hours), and sequence
 * numbers that are simply increasing.
 */
export async function startStreamCapturingProxy(options: {
  targetUrl: string;
  client: DynamoDBClient;
  tables: CapturedTable[];
  region: string;
  port?: number;
  host?: string;
  /** Called with each request's consumed capacity (asked for on every request when given). */
  onCapacity?: (operation: string, capacity: unknown) => void;
}) {
  const target = new URL(options.targetUrl);
  const logs = new Map(options.tables.map((t) => [t.tableName, new ChangeLog()]));
  const tables = new Map(options.tables.map((t) => [t.tableName, t]));
  const locks = new Map<string, Promise<unknown>>();
  let sequence = 100000000000000000000n;

  /** Runs `work` after every earlier write to the same item has finished. */
  function serialised<T>(lockKey: string, work: () => Promise<T>): Promise<T> {
    const previous = locks.get(lockKey) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.then(
      () => {},
      () => {},
    );
    locks.set(lockKey, settled);
    void settled.then(() => {
      if (locks.get(lockKey) === settled) locks.delete(lockKey);
    });
    return next;
  }

  async function image(table: CapturedTable, key: Item): Promise<Item | undefined> {
    const { Item } = await options.client.send(
      new GetItemCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }

  function keyOf(table: CapturedTable, item: Item): Item {
    return Object.fromEntries(table.keyNames.map((k) => [k, item[k] as AttributeValue]));
  }

  function record(table: CapturedTable, key: Item, oldImage?: Item, newImage?: Item) {
    if (isDeepStrictEqual(oldImage, newImage)) return; // no change, no record
    const eventName = !oldImage ? 'INSERT' : !newImage ? 'REMOVE' : 'MODIFY';
    const view = table.viewType;
    const withNew = view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES';
    const withOld = view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES';
    logs.get(table.tableName)?.append({
      eventID: crypto.randomUUID().replaceAll('-', ''),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: options.region,
      eventSourceARN: table.streamArn,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: key as never,
        ...(withNew && newImage ? { NewImage: newImage as never } : {}),
        ...(withOld && oldImage ? { OldImage: oldImage as never } : {}),
        SequenceNumber: String(++sequence),
        SizeBytes: Buffer.byteLength(JSON.stringify(newImage ?? oldImage ?? key)),
        StreamViewType: view,
      },
    });
  }

  /** The keys of a write's items in captured tables. */
  function touchedKeys(operation: string, body: Record<string, unknown>) {
    const touched: Array<{ table: CapturedTable; key: Item }> = [];
    const add = (tableName: unknown, key: Item) => {
      const table = tables.get(String(tableName));
      if (table) touched.push({ table, key: keyOf(table, key) });
    };
    if (operation === 'PutItem') add(body.TableName, body.Item as Item);
    else if (operation === 'BatchWriteItem') {
      for (const [tableName, requests] of Object.entries(
        body.RequestItems as Record<string, Array<Record<string, { Item?: Item; Key?: Item }>>>,
      )) {
        for (const r of requests)
          add(tableName, (r.PutRequest?.Item ?? r.DeleteRequest?.Key) as Item);
      }
    } else add(body.TableName, body.Key as Item);
    return touched;
  }

  function forward(req: IncomingMessage, body: Buffer) {
    return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
      (resolve, reject) => {
        const upstream = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            path: req.url,
            method: req.method,
            headers: { ...req.headers, host: target.host },
          },
          async (res) => {
            const chunks: Buffer[] = [];
            for await (const chunk of res) chunks.push(chunk as Buffer);
            resolve({
              status: res.statusCode ?? 500,
              headers: res.headers,
              body: Buffer.concat(chunks),
            });
          },
        );
        upstream.on('error', reject);
        upstream.end(body);
      },
    );
  }

  async function write(req: IncomingMessage, raw: Buffer, operation: string) {
    const body = JSON.parse(raw.toString('utf8') || '{}');
    const touched = touchedKeys(operation, body);
    if (touched.length === 0) return forward(req, raw);
    // Holds the lock of every item the write touches, taken in a fixed order, for the whole write.
    const lockKeys = [
      ...new Set(touched.map((t) => `${t.table.tableName}\u0000${JSON.stringify(t.key)}`)),
    ].sort();
    const run = async () => {
      const before = await Promise.all(touched.map((t) => image(t.table, t.key)));
      const response = await forward(req, raw);
      if (response.status === 200) {
        // An item left unprocessed by a batch reads the same before and after: no record.
        const after = await Promise.all(touched.map((t) => image(t.table, t.key)));
        touched.forEach((t, i) => {
          record(t.table, t.key, before[i], after[i]);
        });
      }
      return response;
    };
    return lockKeys.reduceRight<() => Promise<Awaited<ReturnType<typeof forward>>>>(
      (inner, lockKey) => () => serialised(lockKey, inner),
      run,
    )();
  }

  /** The request with ReturnConsumedCapacity asked for, for the benchmark's accounting. */
  function withCapacity(req: IncomingMessage, raw: Buffer): Buffer {
    const body = JSON.parse(raw.toString('utf8') || '{}');
    body.ReturnConsumedCapacity ??= 'TOTAL';
    const changed = Buffer.from(JSON.stringify(body));
    req.headers['content-length'] = String(changed.length);
    return changed;
  }

  const server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const body = options.onCapacity ? withCapacity(req, raw) : raw;
      const response = WRITES.has(operation)
        ? await write(req, body, operation)
        : await forward(req, body);
      if (options.onCapacity && response.status === 200) {
        const consumed = JSON.parse(response.body.toString('utf8') || '{}').ConsumedCapacity;
        if (consumed) options.onCapacity(operation, consumed);
      }
      res.writeHead(response.status, response.headers as Record<string, string>);
      res.end(response.body);
    } catch (err: unknown) {
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'InternalServerError', message: (err as Error).message }));
    }
  });
  const url = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1', 'DynamoDB');
  return {
    url,
    /** The change log of a table with a stream. */
    changeLog(tableName: string): ChangeLog {
      const log = logs.get(tableName);
      if (!log) throw new Error(`${tableName} has no stream`);
      return log;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
