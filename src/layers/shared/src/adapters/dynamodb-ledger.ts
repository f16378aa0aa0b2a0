import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  type CancellationReason,
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { NotFoundError, TransientError } from '@orders/shared';
import type { Order, OrderLine, OrderSnapshot, Reservation, ReservedLine } from '../domain/order';
import type { OrderLedger, ReserveOutcome } from '../ports';
import { backorderKey, fromOrderItem, inFlightKeys, orderKey, stockKey } from './dynamodb-items';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A condition on the order besides its status, with its expression names and values. */
interface Condition {
  expression?: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** The attempts a transaction gets when DynamoDB cancels it for a conflicting transaction. */
const CONFLICT_ATTEMPTS = 4;

export interface LedgerTables {
  orders: string;
  inventory: string;
}

/**
 * The order ledger on DynamoDB: each status change of an order, with the stock it takes or gives
 * back, is one `TransactWriteItems` over the Orders and Inventory tables, conditional on the
 * order's status (and reservation) as it was read, and on the stock each line takes. Nothing else
 * ever changes `available`, so per SKU, over its shards:
 *
 *   available + held + committed = received
 *
 * where `held` and `committed` are the quantities of the reservations orders record (HELD while
 * RESERVED, COMMITTED once SHIPPED, RELEASED when given back), and no order in a resting status
 * (BACKORDERED, SHIPPED, FAILED) holds stock. Shipping writes the order only: a hot SKU's stock
 * item is written once per order, by the reservation.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html
 */
export function dynamoOrderLedger(
  client: DynamoDBDocumentClient,
  tables: LedgerTables,
): OrderLedger {
  /**
   * Runs a transaction. Resolves with undefined when it committed, or with the reason of each
   * action when DynamoDB cancelled it for a condition (in action order, items unmarshalled).
   * Conflicts with another transaction are retried; throttling becomes a TransientError.
   */
  async function transact(items: TransactItem[]): Promise<CancellationReason[] | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(new TransactWriteCommand({ TransactItems: items }));
        return undefined;
      } catch (err: unknown) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        const reasons = err.CancellationReasons ?? [];
        const codes = new Set(reasons.map((r) => r.Code ?? 'None'));
        if (codes.has('TransactionConflict') && attempt < CONFLICT_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, Math.random() * 25 * 2 ** attempt));
          continue;
        }
        if ([...codes].some((code) => code !== 'None' && code !== 'ConditionalCheckFailed')) {
          throw new TransientError(`Transaction cancelled: ${[...codes].join(', ')}`, {
            cause: err,
          });
        }
        return reasons;
      }
    }
  }

  const failed = (reason: CancellationReason | undefined) =>
    reason?.Code === 'ConditionalCheckFailed';

  /** The order as a cancelled transaction saw it (its ALL_OLD item). */
  function currentOrder(
    failure: { Item?: Record<string, AttributeValue> } | undefined,
    orderId: string,
  ): Order {
    if (!failure?.Item) throw new NotFoundError(`Order ${orderId} not found`);
    return fromOrderItem(unmarshall(failure.Item));
  }

  /** `available` of every shard of a SKU, read consistently. */
  async function shardLevels(sku: string, shards: number): Promise<number[]> {
    const keys = Array.from({ length: shards }, (_, shard) => stockKey(sku, shard));
    const { Responses } = await client.send(
      new BatchGetCommand({
        RequestItems: { [tables.inventory]: { Keys: keys, ConsistentRead: true } },
      }),
    );
    const byKey = new Map((Responses?.[tables.inventory] ?? []).map((i) => [i.pk, i.available]));
    return keys.map((k) => Number(byKey.get(k.pk) ?? 0));
  }

  const shardsOf = (order: OrderSnapshot, sku: string) => order.stockShards?.[sku] ?? 1;

  /** The shard a line tries first: spread by order, so a hot SKU's orders spread over shards. */
  function firstShard(order: OrderSnapshot, line: OrderLine): number {
    const shards = shardsOf(order, line.sku);
    if (shards === 1) return 0;
    return (
      createHash('sha1').update(`${order.orderId}/${line.sku}`).digest().readUInt32BE() % shards
    );
  }

  /**
   * The update of the order in a transaction: `set` (and `remove`), only if the order is still in
   * the status it was read in and `condition` holds. A failed condition returns the order as it is.
   */
  function orderUpdate(
    order: Pick<Order, 'orderId' | 'status'>,
    set: Record<string, unknown>,
    condition: Condition = {},
    remove: string[] = [],
  ): TransactItem {
    const names: Record<string, string> = { '#status': 'status', ...condition.names };
    const values: Record<string, unknown> = { ':seen': order.status, ...condition.values };
    const sets = Object.entries(set).map(([name, value]) => {
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      return `#${name} = :${name}`;
    });
    for (const name of remove) names[`#${name}`] = name;
    const removes = remove.length ? ` REMOVE ${remove.map((n) => `#${n}`).join(', ')}` : '';
    return {
      Update: {
        TableName: tables.orders,
        Key: orderKey(order.orderId),
        UpdateExpression: `SET ${sets.join(', ')}${removes}`,
        ConditionExpression: ['#status = :seen', condition.expression]
          .filter(Boolean)
          .map((c) => `(${c})`)
          .join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  // Stock given back marks the item `replenished`, stock taken clears the mark: the inventory
  // stream's filter passes only the changes that may let a waiting order through.
  const stockChange = (line: ReservedLine, delta: number): TransactItem => ({
    Update: {
      TableName: tables.inventory,
      Key: stockKey(line.sku, line.shard),
      UpdateExpression:
        delta < 0
          ? 'SET available = available + :delta REMOVE replenished'
          : 'SET available = available + :delta, replenished = :yes',
      ...(delta < 0
        ? {
            ConditionExpression: 'available >= :quantity',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }
        : {}),
      ExpressionAttributeValues: {
        ':delta': delta,
        ...(delta < 0 ? { ':quantity': -delta } : { ':yes': true }),
      },
    },
  });

  const leaveBackorderQueues = (order: OrderSnapshot): TransactItem[] =>
    order.items.map(({ sku }) => ({
      Delete: { TableName: tables.orders, Key: backorderKey(sku, order) },
    }));

  /**
   * Moves the order to RESERVED with every line taken from stock, in one transaction with
   * `extra` (what else the move changes), from the status it was read in.
   */
  async function take(
    order: OrderSnapshot,
    now: Date,
    set: Record<string, unknown> = {},
    remove: string[] = [],
    extra: TransactItem[] = [],
  ): Promise<ReserveOutcome> {
    const lines: ReservedLine[] = order.items.map((line) => ({
      ...line,
      shard: firstShard(order, line),
    }));
    for (let attempt = 0; attempt < 8; attempt++) {
      const reservation: Reservation = { state: 'HELD', lines };
      const changes = { ...set, status: 'RESERVED', reservation, updatedAt: now.toISOString() };
      const reasons = await transact([
        orderUpdate(order, changes, {}, remove),
        ...lines.map((line) => stockChange(line, -line.quantity)),
        ...extra,
      ]);
      if (!reasons) return { outcome: 'reserved' };
      if (failed(reasons[0])) {
        return { outcome: 'moved', order: currentOrder(reasons[0], order.orderId) };
      }

      // Some lines found their stock item short. A SKU split over shards may have the units on
      // another shard: plan those lines again from a consistent read of every shard.
      const missingSkus: string[] = [];
      for (const [index, line] of lines.entries()) {
        if (!failed(reasons[index + 1])) continue;
        const shards = shardsOf(order, line.sku);
        const levels = shards > 1 ? await shardLevels(line.sku, shards) : [];
        const best = levels.indexOf(Math.max(...levels));
        if (shards > 1 && (levels[best] ?? 0) >= line.quantity) {
          lines[index] = { ...line, shard: best };
        } else {
          missingSkus.push(line.sku);
        }
      }
      if (missingSkus.length > 0) return { outcome: 'short', missingSkus };
    }
    throw new TransientError(`Order ${order.orderId}: stock kept moving under the reservation`);
  }

  return {
    reserve: (order, now) => take(order, now),

    resume(order, now, executionName) {
      // Back in flight, under a new execution, and out of every backorder queue it waited in.
      const set = { ...inFlightKeys(order.orderId, now.toISOString()), executionName };
      return take(order, now, set, ['missingSkus'], leaveBackorderQueues(order));
    },

    async backorder(order, missingSkus, now) {
      // One SKU the order was short of stands for "the order still cannot be served": if any of its
      // shards has the line's units now, the check fails and the order is processed again.
      const shortLine = order.items.find((l) => l.sku === missingSkus[0]) ?? order.items[0];
      if (!shortLine) throw new NotFoundError(`Order ${order.orderId} has no lines`);
      const checks: TransactItem[] = Array.from(
        { length: shardsOf(order, shortLine.sku) },
        (_, shard) => ({
          ConditionCheck: {
            TableName: tables.inventory,
            Key: stockKey(shortLine.sku, shard),
            ConditionExpression: 'attribute_not_exists(pk) OR available < :quantity',
            ExpressionAttributeValues: { ':quantity': shortLine.quantity },
          },
        }),
      );
      const set = { status: 'BACKORDERED', missingSkus, updatedAt: now.toISOString() };
      const reasons = await transact([
        orderUpdate(order, set),
        ...order.items.map(({ sku }) => ({
          Put: {
            TableName: tables.orders,
            Item: { ...backorderKey(sku, order), type: 'BACKORDER', orderId: order.orderId },
          },
        })),
        ...checks,
      ]);
      if (!reasons) return { outcome: 'backordered', order: { ...order, missingSkus } };
      if (failed(reasons[0]))
        return { outcome: 'moved', order: currentOrder(reasons[0], order.orderId) };
      return { outcome: 'stock-changed' };
    },

    async ship(orderId, shipment, now) {
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tables.orders,
            Key: orderKey(orderId),
            UpdateExpression:
              'SET #status = :shipped, shipment = :shipment, updatedAt = :now, reservation.#state = :committed',
            ConditionExpression: '#status = :reserved AND reservation.#state = :held',
            ExpressionAttributeNames: { '#status': 'status', '#state': 'state' },
            ExpressionAttributeValues: {
              ':shipped': 'SHIPPED',
              ':reserved': 'RESERVED',
              ':held': 'HELD',
              ':committed': 'COMMITTED',
              ':shipment': shipment,
              ':now': now.toISOString(),
            },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { outcome: 'done', order: fromOrderItem(Attributes ?? {}) };
      } catch (err: unknown) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        return { outcome: 'moved', order: currentOrder(err, orderId) };
      }
    },

    async fail(order, reason, now) {
      const held = order.reservation?.state === 'HELD';
      const set: Record<string, unknown> = {
        status: 'FAILED',
        failureReason: reason,
        updatedAt: now.toISOString(),
      };
      if (held) set.reservation = { ...order.reservation, state: 'RELEASED' };
      // The reservation must be as it was read: a held one is given back exactly once.
      const reservationAsRead: Condition = {
        expression: held
          ? 'reservation.#state = :held'
          : 'attribute_not_exists(reservation) OR reservation.#state <> :held',
        names: { '#state': 'state' },
        values: { ':held': 'HELD' },
      };
      const reasons = await transact([
        orderUpdate(order, set, reservationAsRead),
        ...(held ? (order.reservation?.lines ?? []).map((l) => stockChange(l, l.quantity)) : []),
        ...(order.status === 'BACKORDERED' ? leaveBackorderQueues(order) : []),
      ]);
      if (!reasons) return { outcome: 'done', order: { ...order, ...set } as Order };
      return { outcome: 'moved', order: currentOrder(reasons[0], order.orderId) };
    },

    async *backordersFor(sku) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tables.orders,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `BACKORDER#${sku}` },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) yield String(item.orderId);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    },
  };
}
