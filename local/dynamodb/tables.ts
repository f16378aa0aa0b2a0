/**
 * The table operations that concern streams. dynalite drops a table's StreamSpecification, so
 * CreateTable and UpdateTable keep it in the stream store, and the answers of CreateTable,
 * DescribeTable, UpdateTable and DeleteTable carry `StreamSpecification`, `LatestStreamArn` and
 * `LatestStreamLabel` as DynamoDB's do
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TableDescription.html).
 * Deleting a table disables its stream, whose records stay readable
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html).
 */
import { setTimeout } from 'node:timers/promises';
import type { Dynalite, Reply, TableDescription } from './dynalite';
import { AwsError, validationError } from './errors';
import { jsonReply, rewriteJson } from './replies';
import { StreamStore } from './streams';

type Input = Record<string, unknown>;
type Forward = (input?: Input) => Promise<Reply>;

export class TableOperations {
  constructor(
    private readonly dynalite: Dynalite,
    private readonly streams: StreamStore,
  ) {}

  async handle(operation: string, input: Input, forward: Forward): Promise<Reply> {
    const name = String(input.TableName);
    switch (operation) {
      case 'CreateTable': {
        const viewType = StreamStore.viewType(input.StreamSpecification);
        const reply = await this.settled(name, await forward());
        this.dynalite.forget(name);
        if (reply.status !== 200 || !viewType) return reply;
        const created = JSON.parse(reply.body.toString('utf8'))
          .TableDescription as TableDescription;
        await this.streams.enable(created, viewType);
        return this.withStream(reply, 'TableDescription', name);
      }
      case 'DescribeTable':
        return this.withStream(await forward(), 'Table', name);
      case 'DeleteTable': {
        const reply = this.withStream(await forward(), 'TableDescription', name);
        this.dynalite.forget(name);
        if (reply.status === 200) await this.streams.disable(name);
        return this.settled(name, reply);
      }
      case 'UpdateTable':
        return this.updateTable(name, input, forward);
      default:
        return forward();
    }
  }

  /** UpdateTable: a StreamSpecification is handled here, anything else by dynalite. */
  private async updateTable(name: string, input: Input, forward: Forward): Promise<Reply> {
    if (input.StreamSpecification === undefined)
      return this.withStream(await this.settled(name, await forward()), 'TableDescription', name);
    const viewType = StreamStore.viewType(input.StreamSpecification);
    const table = await this.dynalite.table(name);
    const current = this.streams.latest(name);
    if (viewType && current)
      throw validationError(`Table already has an enabled stream: ${current.StreamArn}`);
    if (!viewType && !current)
      throw validationError('Table does not have an enabled stream to disable');
    const { StreamSpecification: _, ...rest } = input;
    const others = Object.keys(rest).filter(
      (k) => k !== 'TableName' && k !== 'ReturnConsumedCapacity',
    );
    const reply =
      others.length > 0
        ? await this.settled(name, await forward(rest))
        : jsonReply(200, {
            TableDescription: (
              await this.dynalite.call<{ Table: unknown }>('DescribeTable', { TableName: name })
            ).Table,
          });
    if (reply.status !== 200) return reply;
    if (viewType) await this.streams.enable(table, viewType);
    else await this.streams.disable(name);
    return this.withStream(reply, 'TableDescription', name);
  }

  /**
   * Returns dynalite's answer to a table operation once the table and its indexes are ready (or
   * the table gone). dynalite answers with CREATING, UPDATING or DELETING as DynamoDB does and
   * gets to ACTIVE on a timer (after 0 ms here), so a request sent right after the answer would
   * find the table not ready yet; locally a table is ready when the answer comes, as in DynamoDB
   * Local. A failed operation is returned at once.
   */
  private async settled(name: string, reply: Reply): Promise<Reply> {
    if (reply.status !== 200) return reply;
    for (;;) {
      let table: TableDescription;
      try {
        ({ Table: table } = await this.dynalite.call<{ Table: TableDescription }>('DescribeTable', {
          TableName: name,
        }));
      } catch (err: unknown) {
        if (err instanceof AwsError && err.type === 'ResourceNotFoundException') return reply;
        throw err;
      }
      const indexes = (table.GlobalSecondaryIndexes ?? []) as Array<{ IndexStatus?: string }>;
      if (table.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE'))
        return reply;
      await setTimeout(1);
    }
  }

  private withStream(reply: Reply, member: string, name: string): Reply {
    const members = this.streams.tableMembers(name);
    if (reply.status !== 200 || Object.keys(members).length === 0) return reply;
    return rewriteJson(reply, (body) => ({
      ...body,
      [member]: { ...(body[member] as Record<string, unknown>), ...members },
    }));
  }
}
