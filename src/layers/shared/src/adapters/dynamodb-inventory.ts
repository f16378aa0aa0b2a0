import { type CancellationReason, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { TransientError, ValidationError } from '@orders/shared';
import type { StockArrival, StockLevel } from '../domain/inventory';
import type { Inventory } from '../ports';
import { arrivalKey, stockKey } from './dynamodb-items';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * How long an arrival id is remembered: longer than a message can live in the queue (14 days)
 * plus its dead-letter queue (14 days), so any redelivery or redrive finds it.
 */
export const ARRIVAL_MEMORY_DAYS = 30;

/** At most this many shards per SKU: a transaction holds up to 100 actions. */
export const MAX_SHARDS = 32;

/**
 * Stock on DynamoDB: one small item per stock shard of a SKU, and one item per stock arrival
 * applied (with a time to live), so no item grows with orders in flight or with arrivals. A
 * stock item that gained units carries `replenished: true` until units are next taken from it.
 * An arrival is applied once per `arrivalId`: the arrival's item is put on condition it does not
 * exist, in the same transaction that adds the units. A SKU is known once its first stock item
 * exists (its first arrival creates it, with no units if need be).
 */
export function dynamoInventory(client: DynamoDBDocumentClient, tableName: string): Inventory {
  async function readShards(sku: string, shards: number) {
    const keys = Array.from({ length: shards }, (_, shard) => stockKey(sku, shard));
    const found = new Map<string, Record<string, unknown>>();
    let pending: Array<Record<string, unknown>> = keys;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === 5) throw new TransientError(`Stock of ${sku}: reads left unprocessed`);
      const { Responses, UnprocessedKeys } = await client.send(
        new BatchGetCommand({
          RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      for (const item of Responses?.[tableName] ?? []) found.set(String(item.pk), item);
      pending = UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
    return keys.map((key) => found.get(key.pk));
  }

  async function shardCount(sku: string): Promise<number | undefined> {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: stockKey(sku), ConsistentRead: true }),
    );
    return Item ? Number(Item.shards ?? 1) : undefined;
  }

  /** Runs a transaction: undefined when it committed, else the reason of each action. */
  async function transact(items: TransactItem[]): Promise<CancellationReason[] | undefined> {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items }));
      return undefined;
    } catch (err: unknown) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const reasons = err.CancellationReasons ?? [];
      const codes = reasons.map((r) => r.Code ?? 'None');
      if (codes.some((c) => c !== 'None' && c !== 'ConditionalCheckFailed')) {
        throw new TransientError(`Transaction cancelled: ${codes.join(', ')}`, { cause: err });
      }
      return reasons;
    }
  }

  /**
   * The arrival's units spread evenly over `shards` stock items, the first ones taking the
   * remainder, on condition the SKU has that many shards (the first item records the count).
   */
  function addUnits(arrival: StockArrival, shards: number): TransactItem[] {
    return Array.from({ length: shards }, (_, shard): TransactItem => {
      const units =
        Math.floor(arrival.quantity / shards) + (shard < arrival.quantity % shards ? 1 : 0);
      return {
        Update: {
          TableName: tableName,
          Key: stockKey(arrival.sku, shard),
          UpdateExpression:
            'SET sku = :sku, #shard = :shard, available = if_not_exists(available, :zero) + :units, received = if_not_exists(received, :zero) + :units, replenished = :yes',
          ...(shard === 0
            ? {
                ConditionExpression:
                  shards === 1
                    ? 'attribute_not_exists(#shards) OR #shards = :shards'
                    : '#shards = :shards',
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              }
            : {}),
          // SHARD is one of DynamoDB's reserved words.
          ExpressionAttributeNames: {
            '#shard': 'shard',
            ...(shard === 0 ? { '#shards': 'shards' } : {}),
          },
          ExpressionAttributeValues: {
            ':sku': arrival.sku,
            ':shard': shard,
            ':units': units,
            ':zero': 0,
            ':yes': true,
            ...(shard === 0 ? { ':shards': shards } : {}),
          },
        },
      };
    });
  }

  return {
    async catalogue(skus) {
      const known = new Map<string, number>();
      for (let i = 0; i < skus.length; i += 100) {
        let pending: Array<Record<string, unknown>> = skus
          .slice(i, i + 100)
          .map((s) => stockKey(s));
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt === 5) throw new TransientError('SKU look-ups left unprocessed');
          const { Responses, UnprocessedKeys } = await client.send(
            new BatchGetCommand({
              RequestItems: {
                [tableName]: {
                  Keys: pending,
                  ProjectionExpression: 'sku, #shards',
                  ExpressionAttributeNames: { '#shards': 'shards' },
                },
              },
            }),
          );
          for (const item of Responses?.[tableName] ?? []) {
            known.set(String(item.sku), Number(item.shards ?? 1));
          }
          pending = UnprocessedKeys?.[tableName]?.Keys ?? [];
        }
      }
      return known;
    },

    async receive(arrival, now) {
      const expiresAt = Math.floor(now.getTime() / 1000) + ARRIVAL_MEMORY_DAYS * 86_400;
      const applied: TransactItem = {
        Put: {
          TableName: tableName,
          Item: {
            ...arrivalKey(arrival.arrivalId),
            sku: arrival.sku,
            quantity: arrival.quantity,
            receivedAt: now.toISOString(),
            expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      };
      // Written as if the SKU had the shards last seen (one, at first): the first stock item's
      // condition checks it, and hands back the item when the SKU was split, so only a split SKU
      // costs a second attempt, never a read first.
      let shards = 1;
      for (let attempt = 0; attempt < 5; attempt++) {
        const reasons = await transact([applied, ...addUnits(arrival, shards)]);
        if (!reasons) return true;
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return false;
        const first = reasons[1]?.Item ? unmarshall(reasons[1].Item) : {};
        shards = Number(first.shards ?? 1);
      }
      throw new TransientError(`Stock of ${arrival.sku} kept being split under an arrival`);
    },

    async stock(sku): Promise<StockLevel | undefined> {
      const shards = await shardCount(sku);
      if (shards === undefined) return undefined;
      const items = await readShards(sku, shards);
      const sum = (name: string) => items.reduce((n, item) => n + Number(item?.[name] ?? 0), 0);
      return { sku, available: sum('available'), received: sum('received'), shards };
    },

    async split(sku, shards) {
      if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
        throw new ValidationError([
          { field: 'shards', message: `must be a whole number from 1 to ${MAX_SHARDS}` },
        ]);
      }
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await shardCount(sku);
        if (current === undefined)
          throw new ValidationError([{ field: 'sku', message: 'is not a known SKU' }]);
        if (shards <= current) return;
        // Move units so every shard holds an even share, on condition no one changed the stock
        // meanwhile; `received` stays where it was (conservation holds per SKU, over all shards).
        const items = await readShards(sku, current);
        const levels = items.map((item) => Number(item?.available ?? 0));
        const total = levels.reduce((a, b) => a + b, 0);
        const target = (shard: number) =>
          Math.floor(total / shards) + (shard < total % shards ? 1 : 0);
        const codes = await transact(
          Array.from({ length: shards }, (_, shard): TransactItem => {
            const existing = shard < current;
            return {
              Update: {
                TableName: tableName,
                Key: stockKey(sku, shard),
                UpdateExpression: `SET sku = :sku, #shard = :shard, available = :available${existing ? '' : ', received = :zero'}${shard === 0 ? ', #shards = :shards' : ''}`,
                ConditionExpression: existing ? 'available = :seen' : 'attribute_not_exists(pk)',
                ExpressionAttributeNames: {
                  '#shard': 'shard',
                  ...(shard === 0 ? { '#shards': 'shards' } : {}),
                },
                ExpressionAttributeValues: {
                  ':sku': sku,
                  ':shard': shard,
                  ':available': target(shard),
                  ...(existing ? { ':seen': levels[shard] } : { ':zero': 0 }),
                  ...(shard === 0 ? { ':shards': shards } : {}),
                },
              },
            };
          }),
        );
        if (codes === undefined) return;
      }
      throw new TransientError(`Stock of ${sku} kept changing while it was being split`);
    },
  };
}
