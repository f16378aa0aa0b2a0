/**
 * The single-item operations and BatchWriteItem, passed to dynalite under the items' locks so that
 * they are serializable with transactions
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation):
 * a write waits while a transaction holds one of its items, and GetItem waits for a write in
 * progress on its item, then reads the committed image. BatchWriteItem locks all its items for
 * the whole batch (each of its writes is serializable; the batch as a whole is not, in AWS either).
 *
 * A write to a table with a stream takes the item's images before and after, under the lock, and
 * records the change. `ReturnValuesOnConditionCheckFailure: ALL_OLD` on PutItem, UpdateItem and
 * DeleteItem, which dynalite ignores, is answered as DynamoDB does: the failed
 * ConditionalCheckFailedException carries the item as it is
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure).
 */
import { validateItem, validateKey } from 'dynalite/db';
import {
  type Dynalite,
  type Item,
  itemId,
  keyOf,
  type Reply,
  type TableDescription,
  validate,
} from './dynalite';
import type { ItemLocks } from './locks';
import { rewriteJson } from './replies';
import type { Change, StreamStore } from './streams';

type Input = Record<string, unknown>;
/** Passes the request to dynalite, as it came or `changed`. */
type Forward = (changed?: Input) => Promise<Reply>;

interface Target {
  table: TableDescription;
  key: Item;
  id: string;
}

export class ItemOperations {
  constructor(
    private readonly dynalite: Dynalite,
    private readonly locks: ItemLocks,
    private readonly streams: StreamStore,
  ) {}

  /** PutItem, UpdateItem or DeleteItem. */
  async write(operation: string, input: Input, forward: Forward): Promise<Reply> {
    const source = operation === 'PutItem' ? input.Item : input.Key;
    const target = await this.target(input.TableName, source, operation === 'PutItem');
    // dynalite answers a request for a missing table or a malformed key with the right error.
    if (!target) return forward();
    const streamed = this.streams.latest(target.table.TableName) !== undefined;
    return this.locks.with([target.id], 'exclusive', async () => {
      if (!streamed) return this.withOldImageOnFailure(target, input, undefined, await forward());
      const { reply, before, after } = await this.streamedWrite(operation, target, input, forward);
      if (reply.status === 200) await this.streams.record([this.change(target, before, after)]);
      return this.withOldImageOnFailure(target, input, before, reply);
    });
  }

  /**
   * A write to a table with a stream, with the item's images before and after it. The images
   * come with the write where its ReturnValues can carry them (PutItem and DeleteItem with
   * ALL_OLD, UpdateItem with ALL_NEW), asked for on the client's behalf and taken out of the
   * answer if the client did not ask; otherwise from reads under the item's lock. Each read is a
   * call of its own to dynalite: a PutItem is one call instead of three.
   */
  private async streamedWrite(
    operation: string,
    target: Target,
    input: Input,
    forward: Forward,
  ): Promise<{ reply: Reply; before: Item | undefined; after: Item | undefined }> {
    const asked = input.ReturnValues ?? 'NONE';
    const carried = operation === 'UpdateItem' ? 'ALL_NEW' : 'ALL_OLD';
    const before =
      operation === 'UpdateItem' || asked !== carried ? await this.image(target) : undefined;
    if (asked !== 'NONE' && asked !== carried) {
      const reply = await forward();
      return { reply, before, after: reply.status === 200 ? await this.image(target) : undefined };
    }
    const reply = await forward({ ...input, ReturnValues: carried });
    if (reply.status !== 200) return { reply, before, after: undefined };
    const { Attributes } = JSON.parse(reply.body.toString('utf8')) as { Attributes?: Item };
    const answer =
      asked === 'NONE' ? rewriteJson(reply, ({ Attributes: _carried, ...body }) => body) : reply;
    if (operation === 'UpdateItem') return { reply: answer, before, after: Attributes };
    // The item as dynalite stored it: its numbers normalized as DynamoDB does ("1.50" is 1.5).
    const after = operation === 'PutItem' ? (validate('PutItem', input).Item as Item) : undefined;
    return { reply: answer, before: Attributes, after };
  }

  /**
   * `ReturnValuesOnConditionCheckFailure: ALL_OLD`, which dynalite ignores: the failed write's
   * answer carries the item as it is.
   */
  private async withOldImageOnFailure(
    target: Target,
    input: Input,
    before: Item | undefined,
    reply: Reply,
  ): Promise<Reply> {
    if (input.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD' || !isConditionalFailure(reply))
      return reply;
    const item = before ?? (await this.image(target));
    return item ? rewriteJson(reply, (body) => ({ ...body, Item: item })) : reply;
  }

  /** GetItem: reads the item once no write holds it. */
  async read(input: Input, forward: Forward): Promise<Reply> {
    const target = await this.target(input.TableName, input.Key, false);
    if (!target) return forward();
    return this.locks.with([target.id], 'shared', forward);
  }

  /** BatchWriteItem: locks all the batch's items, and records the changes of streamed tables. */
  async batchWrite(input: Input, forward: Forward): Promise<Reply> {
    const targets: Target[] = [];
    const requestItems = (input.RequestItems ?? {}) as Record<string, unknown>;
    for (const [tableName, requests] of Object.entries(requestItems)) {
      if (!Array.isArray(requests)) return forward();
      for (const r of requests as Array<{
        PutRequest?: { Item?: unknown };
        DeleteRequest?: { Key?: unknown };
      }>) {
        const isPut = r?.PutRequest !== undefined;
        const target = await this.target(
          tableName,
          isPut ? r.PutRequest?.Item : r?.DeleteRequest?.Key,
          isPut,
        );
        if (!target) return forward();
        targets.push(target);
      }
    }
    const streamed = targets.filter((t) => this.streams.latest(t.table.TableName) !== undefined);
    return this.locks.with(
      targets.map((t) => t.id),
      'exclusive',
      async () => {
        const before = await Promise.all(streamed.map((t) => this.image(t)));
        const reply = await forward();
        if (reply.status === 200 && streamed.length > 0) {
          // dynalite processes every request of a batch (no UnprocessedItems): each one changed.
          const after = await Promise.all(streamed.map((t) => this.image(t)));
          await this.streams.record(streamed.map((t, i) => this.change(t, before[i], after[i])));
        }
        return reply;
      },
    );
  }

  /** The table, key and lock of the item a request names; undefined if it names none validly. */
  private async target(
    tableName: unknown,
    keyOrItem: unknown,
    isItem: boolean,
  ): Promise<Target | undefined> {
    if (typeof tableName !== 'string' || typeof keyOrItem !== 'object' || keyOrItem === null)
      return undefined;
    let table: TableDescription;
    try {
      table = await this.dynalite.table(tableName);
    } catch {
      return undefined;
    }
    const invalid = isItem
      ? validateItem(keyOrItem as Item, table)
      : validateKey(keyOrItem as Item, table);
    if (invalid) return undefined;
    const key = keyOf(table, keyOrItem as Item);
    return { table, key, id: itemId(table, key) };
  }

  private image(target: Target): Promise<Item | undefined> {
    return this.dynalite.getItem(target.table.TableName, target.key);
  }

  private change(target: Target, oldImage: Item | undefined, newImage: Item | undefined): Change {
    return { table: target.table, key: target.key, oldImage, newImage };
  }
}

function isConditionalFailure(reply: Reply): boolean {
  return reply.status === 400 && reply.body.includes('ConditionalCheckFailedException');
}
