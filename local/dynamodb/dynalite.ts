/**
 * dynalite (https://github.com/architect/dynalite), reached two ways: through its request
 * listener, which stores every item, and through its own modules, which validate requests,
 * parse expressions, evaluate conditions and compute an item write. This folder writes no
 * expression evaluator of its own: a transaction's action is checked and computed by dynalite's
 * PutItem/UpdateItem/DeleteItem run against a scratch store holding the item's current image, and
 * then stored through dynalite's API.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, Server } from 'node:http';
import deleteItem from 'dynalite/actions/deleteItem';
import putItem from 'dynalite/actions/putItem';
import updateItem from 'dynalite/actions/updateItem';
import { capacityUnits, createKey, type Item, type TableDescription } from 'dynalite/db';
import { checkTypes, checkValidations } from 'dynalite/validations';
import * as deleteItemRules from 'dynalite/validations/deleteItem';
import * as getItemRules from 'dynalite/validations/getItem';
import * as putItemRules from 'dynalite/validations/putItem';
import * as updateItemRules from 'dynalite/validations/updateItem';
import { AwsError, fromDynalite, notFound } from './errors';

export type { Item, TableDescription };

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** DynamoDB's item size limit (400 KB), as dynalite applies it. */
const MAX_ITEM_SIZE = 400 * 1024;

// dynalite checks that a request is signed, not the signature; its own callers sign like this.
const INTERNAL_AUTH = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
  'x-amz-date': '20200101T000000Z',
};

const RULES = {
  PutItem: putItemRules,
  UpdateItem: updateItemRules,
  DeleteItem: deleteItemRules,
  GetItem: getItemRules,
};
const ACTIONS = { PutItem: putItem, UpdateItem: updateItem, DeleteItem: deleteItem };
export type ItemWrite = keyof typeof ACTIONS;

export class Dynalite {
  private readonly tables = new Map<string, TableDescription>();

  /** `engine`: the server `dynalite()` returned; its request listener answers every call. */
  constructor(private readonly engine: Server) {}

  /**
   * Sends a request as it came (path, headers, body) and returns dynalite's answer. It is handed
   * to dynalite's own request listener in this thread, as its HTTP server would hand it over, not
   * sent through a socket: a write to a table with a stream is three calls (image before, write,
   * image after), and over loopback HTTP those calls and their parsing were most of this thread's
   * work and a 40 ms tail on every write at 50 orders/s (`BENCH_ONLY=rates npm run bench`).
   * dynalite's listener reads `method`, `url`, `headers` and the `data`/`end` events of the
   * request, and answers with `statusCode`, `setHeader` and `end` (its index.js, httpHandler).
   */
  forward(
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
    method = 'POST',
  ): Promise<Reply> {
    return new Promise((resolve) => {
      const req = Object.assign(new EventEmitter(), { method, url: path, headers });
      const replyHeaders: IncomingHttpHeaders = {};
      const res = {
        statusCode: 200,
        setHeader(name: string, value: number | string) {
          replyHeaders[name.toLowerCase()] = String(value);
        },
        end(data?: string) {
          resolve({
            status: this.statusCode,
            headers: replyHeaders,
            body: Buffer.from(data ?? ''),
          });
        },
      };
      this.engine.emit('request', req, res);
      if (body.length > 0) req.emit('data', body);
      req.emit('end');
    });
  }

  /** Calls an operation; a DynamoDB error answer is thrown as an AwsError. */
  async call<T = Record<string, unknown>>(operation: string, payload: unknown): Promise<T> {
    const reply = await this.forward(
      '/',
      {
        ...INTERNAL_AUTH,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${operation}`,
      },
      Buffer.from(JSON.stringify(payload)),
    );
    const body = JSON.parse(reply.body.toString('utf8') || '{}');
    if (reply.status !== 200) throw fromDynalite({ statusCode: reply.status, body });
    return body as T;
  }

  /** The table's description (cached: a table's key schema never changes). */
  async table(name: string): Promise<TableDescription> {
    const cached = this.tables.get(name);
    if (cached) return cached;
    try {
      const { Table } = await this.call<{ Table: TableDescription }>('DescribeTable', {
        TableName: name,
      });
      this.tables.set(name, Table);
      return Table;
    } catch (err: unknown) {
      if (err instanceof AwsError && err.type === 'ResourceNotFoundException') throw notFound();
      throw err;
    }
  }

  /** Forgets a table's description (after CreateTable, DeleteTable, UpdateTable). */
  forget(name: string) {
    this.tables.delete(name);
  }

  /** The item's current image, read consistently. */
  async getItem(table: string, key: Item): Promise<Item | undefined> {
    const { Item } = await this.call<{ Item?: Item }>('GetItem', {
      TableName: table,
      Key: key,
      ConsistentRead: true,
    });
    return Item;
  }

  /** Stores an item's new image (undefined: deletes it). */
  async store(table: string, key: Item, image: Item | undefined): Promise<void> {
    if (image) await this.call('PutItem', { TableName: table, Item: image });
    else await this.call('DeleteItem', { TableName: table, Key: key });
  }
}

/** The lock and identity of an item: its table and dynalite's encoding of its key. */
export function itemId(table: TableDescription, keyOrItem: Item): string {
  return `${table.TableName}\u0000${createKey(keyOrItem, table)}`;
}

/** The key attributes of an item. */
export function keyOf(table: TableDescription, item: Item): Item {
  return Object.fromEntries(
    table.KeySchema.map((k) => [k.AttributeName, item[k.AttributeName] ?? {}]),
  );
}

/**
 * Checks a request the way dynalite checks that operation (types, required members, expression
 * syntax, unused expression attributes) and returns it parsed (with `_condition`, `_updates`,
 * `_projection`). A fault is thrown as the ValidationException dynalite would answer.
 */
export function validate(
  operation: keyof typeof RULES,
  request: Record<string, unknown>,
): Record<string, unknown> {
  const rules = RULES[operation];
  try {
    const data = checkTypes({ ...request }, rules.types);
    checkValidations(data, rules.types, rules.custom, { options: { maxItemSize: MAX_ITEM_SIZE } });
    return data;
  } catch (err: unknown) {
    if ((err as { statusCode?: number }).statusCode) throw fromDynalite(err as never);
    throw err;
  }
}

/**
 * Runs a validated PutItem/UpdateItem/DeleteItem with dynalite's own action against a scratch
 * store that holds `current` and keeps what the action would write. Returns the new image
 * (undefined when the item would be deleted), or throws the error the action answers: a
 * ConditionalCheckFailedException, or a ValidationException that depends on the item (an update
 * of an attribute of the wrong type, an item grown past 400 KB).
 */
export function computeWrite(
  operation: ItemWrite,
  table: TableDescription,
  data: Record<string, unknown>,
  current: Item | undefined,
): Promise<Item | undefined> {
  let written: Item | undefined = current;
  const itemDb = {
    lock: (_key: string, fn: (release: (cb: unknown) => unknown) => void) => fn((cb) => cb),
    get: (_key: string, cb: (err: null, item?: Item) => void) =>
      cb(null, current && structuredClone(current)),
    put: (_key: string, item: Item, cb: (err: null) => void) => {
      written = item;
      cb(null);
    },
    del: (_key: string, cb: (err: null) => void) => {
      written = undefined;
      cb(null);
    },
  };
  const indexDb = {
    put: (_k: string, _v: unknown, cb: (err: null) => void) => cb(null),
    del: (_k: string, cb: (err: null) => void) => cb(null),
  };
  const scratch = {
    options: { maxItemSize: MAX_ITEM_SIZE },
    getTable: (_name: string, checkOrCb: unknown, cb?: (err: null, t: TableDescription) => void) =>
      (cb ?? (checkOrCb as (err: null, t: TableDescription) => void))(null, table),
    getItemDb: () => itemDb,
    getIndexDb: () => indexDb,
  };
  return new Promise((resolve, reject) => {
    // Cloned: dynalite's UpdateItem builds a new item on the request's own Key object.
    const request: Record<string, unknown> = { ...data, TableName: table.TableName };
    if (request.Key) request.Key = structuredClone(request.Key);
    if (request.Item) request.Item = structuredClone(request.Item);
    ACTIONS[operation](scratch, request, (err) => {
      if (err) reject(fromDynalite(err));
      else resolve(written);
    });
  });
}

/** Write capacity units of one standard write: the larger image, in 1 KB units. */
export function writeUnits(before: Item | undefined, after: Item | undefined): number {
  return Math.max(capacityUnits(before, false), capacityUnits(after, false));
}

/** Read capacity units of one strongly consistent read, in 4 KB units (1 for a missing item). */
export function readUnits(item: Item | undefined): number {
  return capacityUnits(item, true, true);
}
