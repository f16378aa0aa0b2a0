import {
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { placeOrder, processOrder, shipOrder } from '@orders/shared';
import { dynamoInventory, dynamoOrderLedger, dynamoOrderRepository } from '@orders/shared/dynamodb';
import { type Item, itemSize } from 'dynalite/db';
import { createTables, localDynamoDbClient } from '../local/dynamodb/endpoint';
import { type LocalDynamoDb, startLocalDynamoDb } from '../local/dynamodb/local-dynamodb';
import { dynamoWork } from './stats';

/**
 * DynamoDB's limits that bound one SKU, from its documentation:
 * - a partition serves at most 1,000 write units and 3,000 read units per second, and one item
 *   lives in one partition (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html);
 * - an item is at most 400 KB; a write unit covers 1 KB, and a transactional write takes 2 units
 *   per KB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html,
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling).
 */
export const ITEM_WRITE_UNITS_PER_SECOND = 1000;
export const ITEM_READ_UNITS_PER_SECOND = 3000;
export const MAX_ITEM_BYTES = 400 * 1024;

const ADDRESS = { name: 'A', line1: 'L', city: 'C', postalCode: 'P', country: 'GB' };

export interface InFlightFigures {
  inFlight: number;
  /** Per order placed, reserved and shipped, while `inFlight` other orders hold the SKU's stock. */
  writeUnits: number;
  readUnits: number;
  /** Write units on the inventory table, i.e. on the SKU's stock item. */
  stockWriteUnits: number;
  stockItemBytes: number;
}

export interface ShardFigures {
  shards: number;
  orders: number;
  /** Reservations and write units each stock item took, by stream records. */
  perItem: Array<{ key: string; reservations: number; writeUnits: number }>;
  /** The inventory table's write units over the same orders, as the DynamoDB service counted. */
  tableWriteUnits: number;
}

/** Runs `work` `count` times, `parallel` at a time. */
async function times(count: number, parallel: number, work: () => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next++ < count) await work();
    }),
  );
}

async function application(db: LocalDynamoDb, suffix: string) {
  const raw = localDynamoDbClient(db.url);
  const names = await createTables(raw, suffix);
  const client = DynamoDBDocumentClient.from(raw, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const tables = { orders: names.OrdersTable as string, inventory: names.InventoryTable as string };
  const orders = dynamoOrderRepository(client, tables.orders);
  const inventory = dynamoInventory(client, tables.inventory);
  const ledger = dynamoOrderLedger(client, tables);
  return {
    raw,
    tables,
    inventory,
    /** CreateOrder's, ProcessOrder's and (unless `hold`) ShipOrder's use cases, as they run. */
    async order(sku: string, hold: boolean) {
      const { order } = await placeOrder(
        { orders, inventory },
        {
          customerId: 'hot',
          request: { items: [{ sku, quantity: 1 }], shippingAddress: ADDRESS },
        },
      );
      const reserved = await processOrder({ orders, ledger }, order.orderId);
      if (!reserved.inStock) throw new Error(`${sku} ran out of stock`);
      if (!hold) await shipOrder({ ledger }, order.orderId);
    },
  };
}

/**
 * Capacity per order against the orders in flight on one SKU: the SKU's stock in one item, `level`
 * orders placed and reserved (holding its stock) and not shipped, then `perLevel` orders placed,
 * reserved and shipped one at a time with the use cases and adapters the functions run, against
 * the embedded DynamoDB's capacity count.
 */
export async function measureInFlight(
  levels: number[],
  perLevel: number,
  log: (l: string) => void,
) {
  const db = await startLocalDynamoDb({ accounting: true });
  try {
    const app = await application(db, '-hot');
    const sku = 'HOT-1';
    await app.inventory.receive({ arrivalId: 'hot', sku, quantity: 10_000_000 }, new Date());
    const figures: InFlightFigures[] = [];
    let inFlight = 0;
    for (const level of levels) {
      await times(level - inFlight, 8, () => app.order(sku, true));
      inFlight = level;
      const before = await db.usage();
      for (let i = 0; i < perLevel; i++) await app.order(sku, false);
      const work = dynamoWork(await db.usage(), before);
      const { Item } = await app.raw.send(
        new GetItemCommand({ TableName: app.tables.inventory, Key: { pk: { S: `STOCK#${sku}` } } }),
      );
      figures.push({
        inFlight: level,
        writeUnits: work.writeUnits / perLevel,
        readUnits: work.readUnits / perLevel,
        stockWriteUnits: (work.tables[app.tables.inventory]?.writeUnits ?? 0) / perLevel,
        stockItemBytes: itemSize(Item as unknown as Item),
      });
      log(`${level} orders in flight on ${sku}: measured ${perLevel} more`);
    }
    return figures;
  } finally {
    await db.stop();
  }
}

/** Every record of a table's stream so far, oldest first. */
async function streamRecords(
  client: DynamoDBClient,
  streams: DynamoDBStreamsClient,
  table: string,
) {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  const StreamArn = Table?.LatestStreamArn as string;
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn }));
  const records: _Record[] = [];
  for (const { ShardId } of StreamDescription?.Shards ?? []) {
    const first = await streams.send(
      new GetShardIteratorCommand({ StreamArn, ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    let iterator = first.ShardIterator;
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      if (!page.Records?.length) break;
      records.push(...page.Records);
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

/**
 * A SKU split over `shards` stock items, `orders` orders reserved (8 at a time) and shipped: the
 * reservations and write units each stock item took, read back from the inventory table's stream
 * (every change of a stock item after the split is a reservation; a transactional write is 2 units
 * per KB of the larger image), next to the table's count.
 */
export async function measureShards(shards: number, orders: number): Promise<ShardFigures> {
  const db = await startLocalDynamoDb({ accounting: true });
  const streams = new DynamoDBStreamsClient({
    endpoint: db.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const app = await application(db, '-shards');
    const sku = 'HOT-SPLIT';
    await app.inventory.receive({ arrivalId: 'split', sku, quantity: 10_000_000 }, new Date());
    await app.inventory.split(sku, shards);
    const seen = await streamRecords(app.raw, streams, app.tables.inventory);
    const before = await db.usage();
    await times(orders, 8, () => app.order(sku, false));
    const tableWriteUnits =
      dynamoWork(await db.usage(), before).tables[app.tables.inventory]?.writeUnits ?? 0;

    const records = (await streamRecords(app.raw, streams, app.tables.inventory)).slice(
      seen.length,
    );
    const perItem = new Map<string, { reservations: number; writeUnits: number }>();
    for (const { dynamodb } of records) {
      const [after, was] = [dynamodb?.NewImage, dynamodb?.OldImage] as unknown as Item[];
      if (!after || !was) continue;
      const key = String(after.pk?.S);
      const bytes = Math.max(itemSize(after), itemSize(was));
      const entry = perItem.get(key) ?? { reservations: 0, writeUnits: 0 };
      entry.reservations++;
      entry.writeUnits += 2 * Math.ceil(bytes / 1024);
      perItem.set(key, entry);
    }
    return {
      shards,
      orders,
      perItem: [...perItem]
        .map(([key, v]) => ({ key, ...v }))
        .sort((a, b) => a.key.localeCompare(b.key)),
      tableWriteUnits,
    };
  } finally {
    streams.destroy();
    await db.stop();
  }
}
