import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Order } from '@orders/shared';

/** Every item of a table, page by page (tests only: the application never scans). */
export async function scanAll(client: DynamoDBDocumentClient, tableName: string) {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export interface SkuBook {
  available: number;
  received: number;
  held: number;
  committed: number;
}

/** What the tables say, read back after a race. */
export interface Books {
  orders: Map<string, Order & { gsi2pk?: string }>;
  skus: Map<string, SkuBook>;
  /** `sku -> orderIds` of the backorder queues. */
  queues: Map<string, string[]>;
}

export async function readBooks(
  client: DynamoDBDocumentClient,
  tables: { orders: string; inventory: string },
): Promise<Books> {
  const orders = new Map<string, Order & { gsi2pk?: string }>();
  const queues = new Map<string, string[]>();
  for (const item of await scanAll(client, tables.orders)) {
    if (item.type === 'ORDER') orders.set(String(item.orderId), item as never);
    if (item.type === 'BACKORDER') {
      const sku = String(item.pk).slice('BACKORDER#'.length);
      queues.set(sku, [...(queues.get(sku) ?? []), String(item.orderId)]);
    }
  }
  const skus = new Map<string, SkuBook>();
  const book = (sku: string) => {
    const found = skus.get(sku);
    if (found) return found;
    const b = { available: 0, received: 0, held: 0, committed: 0 };
    skus.set(sku, b);
    return b;
  };
  for (const item of await scanAll(client, tables.inventory)) {
    if (!String(item.pk).startsWith('STOCK#')) continue;
    const b = book(String(item.sku));
    b.available += Number(item.available ?? 0);
    b.received += Number(item.received ?? 0);
  }
  for (const order of orders.values()) {
    for (const line of order.reservation?.lines ?? []) {
      if (order.reservation?.state === 'HELD') book(line.sku).held += line.quantity;
      if (order.reservation?.state === 'COMMITTED') book(line.sku).committed += line.quantity;
    }
  }
  return { orders, skus, queues };
}

/**
 * The invariants the design promises, as a list of violations (empty when they hold):
 * per SKU `available + held + committed = received` and `available >= 0`; a RESERVED order holds
 * its stock, a SHIPPED one has committed it, and no other order holds any; a BACKORDERED order
 * waits in the queue of each of its SKUs and no other order waits in any.
 */
export function violations(books: Books): string[] {
  const found: string[] = [];
  for (const [sku, b] of books.skus) {
    if (b.available + b.held + b.committed !== b.received) {
      found.push(
        `${sku}: available ${b.available} + held ${b.held} + committed ${b.committed} != received ${b.received}`,
      );
    }
    if (b.available < 0) found.push(`${sku}: available ${b.available} < 0`);
  }
  const waiting = new Map<string, string[]>();
  for (const [sku, ids] of books.queues) {
    for (const id of ids) waiting.set(id, [...(waiting.get(id) ?? []), sku]);
  }
  for (const order of books.orders.values()) {
    const state = order.reservation?.state;
    if (order.status === 'RESERVED' && state !== 'HELD')
      found.push(`${order.orderId}: RESERVED without held stock`);
    if (order.status === 'SHIPPED' && state !== 'COMMITTED')
      found.push(`${order.orderId}: SHIPPED without committed stock`);
    if (order.status !== 'RESERVED' && state === 'HELD')
      found.push(`${order.orderId}: ${order.status} holds stock`);
    const queued = (waiting.get(order.orderId) ?? []).sort();
    const skus = order.items.map((i) => i.sku).sort();
    if (order.status === 'BACKORDERED' && queued.join() !== skus.join()) {
      found.push(`${order.orderId}: BACKORDERED but queued under [${queued}] not [${skus}]`);
    }
    if (order.status !== 'BACKORDERED' && queued.length > 0) {
      found.push(`${order.orderId}: ${order.status} but still queued under [${queued}]`);
    }
  }
  return found;
}

/** How many orders are in each status. */
export function statusCounts(books: Books, orderIds?: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of orderIds ?? books.orders.keys()) {
    const status = books.orders.get(id)?.status ?? 'MISSING';
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}
