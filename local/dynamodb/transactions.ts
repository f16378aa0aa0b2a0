/**
 * TransactWriteItems and TransactGetItems, with the semantics DynamoDB documents
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactGetItems.html):
 *
 * - Up to 100 Put, Update, Delete and ConditionCheck actions on distinct items of any tables, all
 *   or nothing. A request that is malformed, names a missing table, targets one item twice, has
 *   more than 100 actions or more than 4 MB of items is a ValidationException (or
 *   ResourceNotFoundException) and touches nothing.
 * - Every condition is evaluated against the items as they are, before anything is written. If one
 *   fails, or an action would be invalid for its item (an update of an attribute of the wrong type,
 *   an item grown past 400 KB), nothing is written and the answer is TransactionCanceledException
 *   with one CancellationReason per action, in action order: `ConditionalCheckFailed` (with the
 *   item when the action asked ReturnValuesOnConditionCheckFailure ALL_OLD), `ValidationError`, or
 *   `None`.
 * - ClientRequestToken: a repeat with the same token within 10 minutes of the first success
 *   succeeds without applying again (reporting read capacity); with different TransactItems it is
 *   an IdempotentParameterMismatchException; while the first is still running, a
 *   TransactionInProgressException (which the SDKs retry). A cancelled or failed request keeps no
 *   token: its repeat runs again.
 * - Isolation: a transaction holds the exclusive lock of each of its items (see locks.ts) from
 *   reading them until its writes are stored and their stream records written, so single-item
 *   writes and GetItem of those items wait for it (serializable), and TransactGetItems, holding
 *   its items' locks shared, sees every change of a transaction or none. Query, Scan and
 *   BatchGetItem read without locks: they may see some items of a committing transaction and not
 *   others yet, but never a change that is later undone (read-committed), as documented.
 *
 * Where it differs from AWS: a request that conflicts with a running transaction waits for it
 * instead of failing with TransactionConflictException / a `TransactionConflict` reason, so
 * conflict handling cannot be tested here. The items are stored one by one through dynalite under
 * the locks; if storing fails half-way (it should not after validation) the before-images are put
 * back and the answer is InternalServerError. Tokens are kept in memory only.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { itemSize, mapPaths, validateItem, validateKey } from 'dynalite/db';
import { TableUnits, type UsageCounter } from './capacity';
import {
  computeWrite,
  type Dynalite,
  type Item,
  type ItemWrite,
  itemId,
  keyOf,
  readUnits,
  type TableDescription,
  validate,
  writeUnits,
} from './dynalite';
import { AwsError, fromDynalite, validationError } from './errors';
import type { ItemLocks } from './locks';
import type { Change, StreamStore } from './streams';

const MAX_ACTIONS = 100;
const MAX_AGGREGATE_BYTES = 4 * 1024 * 1024;
const TOKEN_WINDOW_MS = 10 * 60 * 1000;

type Kind = 'ConditionCheck' | 'Put' | 'Delete' | 'Update';
const KINDS: Kind[] = ['ConditionCheck', 'Put', 'Delete', 'Update'];
/** The single-item operation whose rules and action each kind follows. */
const OPERATION: Record<Kind, ItemWrite> = {
  ConditionCheck: 'DeleteItem',
  Put: 'PutItem',
  Delete: 'DeleteItem',
  Update: 'UpdateItem',
};
const REQUIRED: Record<Kind | 'Get', string[]> = {
  ConditionCheck: ['Key', 'TableName', 'ConditionExpression'],
  Put: ['Item', 'TableName'],
  Delete: ['Key', 'TableName'],
  Update: ['Key', 'UpdateExpression', 'TableName'],
  Get: ['Key', 'TableName'],
};

interface Action {
  kind: Kind | 'Get';
  table: TableDescription;
  key: Item;
  id: string;
  /** The request as dynalite parsed it (`_condition`, `_updates`, `_projection`). */
  data: Record<string, unknown>;
  returnOld: boolean;
}

interface Token {
  hash: string;
  done: boolean;
  expires: number;
  /** What a repeat reports: the items' transactional read units. */
  replay?: TableUnits;
}

type Input = Record<string, unknown>;

export class Transactions {
  private readonly tokens = new Map<string, Token>();

  constructor(
    private readonly dynalite: Dynalite,
    private readonly locks: ItemLocks,
    private readonly streams: StreamStore,
    private readonly usage: UsageCounter,
  ) {}

  async write(input: Input): Promise<Record<string, unknown>> {
    const token = clientToken(input.ClientRequestToken);
    const actions = await this.actions(input, 'write');
    if (token === undefined)
      return this.commit(actions, input.ReturnConsumedCapacity).then((r) => r.answer);

    const hash = createHash('sha256').update(JSON.stringify(input.TransactItems)).digest('hex');
    const now = Date.now();
    for (const [t, known] of this.tokens)
      if (known.done && known.expires <= now) this.tokens.delete(t);
    const known = this.tokens.get(token);
    if (known) {
      if (known.hash !== hash)
        throw new AwsError(
          'IdempotentParameterMismatchException',
          'Request has the same ClientRequestToken as a previous request within 10 minutes, but different parameters',
        );
      if (!known.done)
        throw new AwsError(
          'TransactionInProgressException',
          'The transaction with the given request token is already in progress.',
        );
      const consumed = known.replay?.consumedCapacity('TOTAL', 'read');
      if (consumed) this.usage.consumed('TransactWriteItems', consumed, 'read');
      const answer = known.replay?.consumedCapacity(input.ReturnConsumedCapacity, 'read');
      return answer ? { ConsumedCapacity: answer } : {};
    }
    this.tokens.set(token, { hash, done: false, expires: Number.POSITIVE_INFINITY });
    try {
      const { answer, replay } = await this.commit(actions, input.ReturnConsumedCapacity);
      this.tokens.set(token, { hash, done: true, expires: Date.now() + TOKEN_WINDOW_MS, replay });
      return answer;
    } catch (err: unknown) {
      this.tokens.delete(token);
      throw err;
    }
  }

  async get(input: Input): Promise<Record<string, unknown>> {
    const actions = await this.actions(input, 'get');
    const items = await this.locks.with(
      actions.map((a) => a.id),
      'shared',
      () => Promise.all(actions.map((a) => this.dynalite.getItem(a.table.TableName, a.key))),
    );
    const units = new TableUnits();
    let size = 0;
    const responses = actions.map((action, i) => {
      const item = items[i];
      units.add(action.table.TableName, 2 * readUnits(item));
      if (!item) return {};
      size += itemSize(item);
      const projection = action.data._projection as { paths: unknown[] } | undefined;
      return { Item: projection ? mapPaths(projection.paths, item) : item };
    });
    if (size > MAX_AGGREGATE_BYTES)
      throw validationError('The aggregate size of the items in the transaction exceeds 4 MB');
    const total = units.consumedCapacity('TOTAL', 'read');
    if (total) this.usage.consumed('TransactGetItems', total, 'read');
    const consumed = units.consumedCapacity(input.ReturnConsumedCapacity, 'read');
    return { Responses: responses, ...(consumed ? { ConsumedCapacity: consumed } : {}) };
  }

  /** Checks a request and resolves each action's table, key and parsed expressions. */
  private async actions(input: Input, type: 'write' | 'get'): Promise<Action[]> {
    const items = input.TransactItems;
    if (!Array.isArray(items))
      throw memberError('null', 'transactItems', 'Member must not be null');
    if (items.length < 1)
      throw memberError(
        '[]',
        'transactItems',
        'Member must have length greater than or equal to 1',
      );
    if (items.length > MAX_ACTIONS)
      throw memberError(
        `[${items.length} items]`,
        'transactItems',
        `Member must have length less than or equal to ${MAX_ACTIONS}`,
      );
    const actions: Action[] = [];
    const seen = new Set<string>();
    let size = 0;
    for (const [index, entry] of (items as Input[]).entries()) {
      const kinds = type === 'get' ? (['Get'] as const) : KINDS.filter((k) => entry?.[k] != null);
      if (kinds.length !== 1 || entry?.[kinds[0] as string] == null)
        throw type === 'get'
          ? memberError('null', `transactItems.${index + 1}.member.get`, 'Member must not be null')
          : validationError('TransactItems can only contain one of Check, Put, Update or Delete');
      const kind = kinds[0] as Kind | 'Get';
      const request = entry[kind] as Input;
      for (const member of REQUIRED[kind])
        if (request[member] == null)
          throw memberError(
            'null',
            `transactItems.${index + 1}.member.${lowerFirst(kind)}.${lowerFirst(member)}`,
            'Member must not be null',
          );
      const returnOld = request.ReturnValuesOnConditionCheckFailure;
      if (returnOld !== undefined && returnOld !== 'ALL_OLD' && returnOld !== 'NONE')
        throw memberError(
          String(returnOld),
          `transactItems.${index + 1}.member.${lowerFirst(kind)}.returnValuesOnConditionCheckFailure`,
          'Member must satisfy enum value set: [ALL_OLD, NONE]',
        );
      const data = validate(kind === 'Get' ? 'GetItem' : OPERATION[kind], {
        TableName: request.TableName,
        Item: request.Item,
        Key: request.Key,
        UpdateExpression: request.UpdateExpression,
        ConditionExpression: request.ConditionExpression,
        ProjectionExpression: request.ProjectionExpression,
        ExpressionAttributeNames: request.ExpressionAttributeNames,
        ExpressionAttributeValues: request.ExpressionAttributeValues,
      });
      const table = await this.dynalite.table(String(request.TableName));
      const invalid =
        kind === 'Put'
          ? validateItem(data.Item as Item, table)
          : validateKey(data.Key as Item, table);
      if (invalid) throw fromDynalite(invalid);
      const key = kind === 'Put' ? keyOf(table, data.Item as Item) : (data.Key as Item);
      const id = itemId(table, key);
      // "You can't target the same item with multiple operations within the same transaction."
      if (seen.has(id))
        throw validationError('Transaction request cannot include multiple operations on one item');
      seen.add(id);
      size += itemSize((data.Item as Item | undefined) ?? key);
      actions.push({ kind, table, key, id, data, returnOld: returnOld === 'ALL_OLD' });
    }
    if (size > MAX_AGGREGATE_BYTES)
      throw validationError('The aggregate size of the items in the transaction exceeds 4 MB');
    return actions;
  }

  /** Locks the items, checks every action against them, and stores all the writes or none. */
  private async commit(actions: Action[], mode: unknown) {
    return this.locks.with(
      actions.map((a) => a.id),
      'exclusive',
      async () => {
        const before = await Promise.all(
          actions.map((a) => this.dynalite.getItem(a.table.TableName, a.key)),
        );
        const after: Array<Item | undefined> = [];
        const reasons: Array<Record<string, unknown>> = [];
        for (const [i, action] of actions.entries()) {
          try {
            const computed = await computeWrite(
              OPERATION[action.kind as Kind],
              action.table,
              action.data,
              before[i],
            );
            after.push(action.kind === 'ConditionCheck' ? before[i] : computed);
            reasons.push({ Code: 'None' });
          } catch (err: unknown) {
            if (!(err instanceof AwsError)) throw err;
            after.push(before[i]);
            if (err.type === 'ConditionalCheckFailedException') {
              const item = action.returnOld ? before[i] : undefined;
              reasons.push({
                Code: 'ConditionalCheckFailed',
                Message: err.message,
                ...(item ? { Item: item } : {}),
              });
            } else if (err.type === 'ValidationException') {
              reasons.push({ Code: 'ValidationError', Message: err.message });
            } else throw err;
          }
        }
        if (reasons.some((r) => r.Code !== 'None')) {
          throw new AwsError(
            'TransactionCanceledException',
            `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
            400,
            { CancellationReasons: reasons },
          );
        }

        const changed = actions
          .map((action, i) => ({ action, before: before[i], after: after[i] }))
          .filter(
            (c) => c.action.kind !== 'ConditionCheck' && !isDeepStrictEqual(c.before, c.after),
          );
        await this.store(changed);
        const changes: Change[] = changed.map((c) => ({
          table: c.action.table,
          key: keyOf(c.action.table, c.action.key),
          oldImage: c.before,
          newImage: c.after,
        }));
        await this.streams.record(changes);

        const units = new TableUnits();
        const replay = new TableUnits();
        for (const [i, action] of actions.entries()) {
          units.add(action.table.TableName, 2 * writeUnits(before[i], after[i]));
          replay.add(action.table.TableName, 2 * readUnits(after[i] ?? before[i]));
        }
        const total = units.consumedCapacity('TOTAL', 'write');
        if (total) this.usage.consumed('TransactWriteItems', total, 'write');
        const consumed = units.consumedCapacity(mode, 'write');
        return { answer: consumed ? { ConsumedCapacity: consumed } : {}, replay };
      },
    );
  }

  /**
   * Stores the new images one by one, in action order; if one cannot be stored, puts the stored
   * ones back as they were.
   */
  private async store(changed: Array<{ action: Action; before?: Item; after?: Item }>) {
    const stored: typeof changed = [];
    try {
      for (const c of changed) {
        await this.dynalite.store(c.action.table.TableName, c.action.key, c.after);
        stored.push(c);
      }
    } catch (err: unknown) {
      await Promise.allSettled(
        stored.map((c) => this.dynalite.store(c.action.table.TableName, c.action.key, c.before)),
      );
      console.error('TransactWriteItems: storing failed, before-images restored', err);
      throw new AwsError('InternalServerError', 'Internal server error', 500);
    }
  }
}

function clientToken(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length < 1 || value.length > 36)
    throw memberError(
      String(value),
      'clientRequestToken',
      'Member must have length less than or equal to 36',
    );
  return value;
}

/** A ValidationException in the form DynamoDB gives a member's constraint. */
function memberError(value: string, path: string, constraint: string): AwsError {
  return validationError(
    `1 validation error detected: Value ${value === 'null' ? 'null' : `'${value}'`} at '${path}' failed to satisfy constraint: ${constraint}`,
  );
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
