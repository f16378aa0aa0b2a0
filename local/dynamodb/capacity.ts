/**
 * Consumed capacity of transactions, and the service's running count of capacity units (for the
 * benchmark's cost per order).
 *
 * "DynamoDB performs two underlying reads or writes of every item in the transaction: one to
 * prepare the transaction and one to commit the transaction"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling):
 * each item of TransactWriteItems costs twice its write units (1 KB units of the larger image), a
 * ConditionCheck included, billed as write; each item of TransactGetItems twice its read units
 * (4 KB units), a missing item included. The response reports them per table, with
 * `WriteCapacityUnits`/`ReadCapacityUnits` beside `CapacityUnits` (the split only transactional
 * responses carry). A ClientRequestToken replay reports read units for the items instead
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html,
 * ClientRequestToken). How ConditionCheck and the replay are billed is not spelled out in the docs;
 * it follows what dynamodb-conformance measured against DynamoDB (paritysuite/dynamodb-conformance#67).
 */

export type CapacityKind = 'read' | 'write';

/** Capacity units per table, in the order the tables first appear. */
export class TableUnits {
  readonly byTable = new Map<string, number>();

  add(table: string, units: number) {
    this.byTable.set(table, (this.byTable.get(table) ?? 0) + units);
  }

  /** The response's ConsumedCapacity list for ReturnConsumedCapacity, or undefined for NONE. */
  consumedCapacity(mode: unknown, kind: CapacityKind): Array<Record<string, unknown>> | undefined {
    if (mode !== 'TOTAL' && mode !== 'INDEXES') return undefined;
    const split = kind === 'read' ? 'ReadCapacityUnits' : 'WriteCapacityUnits';
    return [...this.byTable].map(([TableName, units]) => ({
      TableName,
      CapacityUnits: units,
      [split]: units,
      ...(mode === 'INDEXES' ? { Table: { CapacityUnits: units, [split]: units } } : {}),
    }));
  }
}

export interface CapacityUsage {
  readUnits: number;
  writeUnits: number;
  tables: Record<string, { readUnits: number; writeUnits: number }>;
  /** Requests answered, by operation. */
  operations: Record<string, number>;
}

const READS = /^(GetItem|BatchGetItem|Query|Scan|TransactGetItems)$/;

/** The running total of what the service was asked to do. */
export class UsageCounter {
  private usage: CapacityUsage = { readUnits: 0, writeUnits: 0, tables: {}, operations: {} };

  request(operation: string) {
    this.usage.operations[operation] = (this.usage.operations[operation] ?? 0) + 1;
  }

  /** Adds a ConsumedCapacity answer (one entry or a list) of an operation. */
  consumed(operation: string, consumed: unknown, kind?: CapacityKind) {
    const entries = [consumed].flat() as Array<{ TableName?: string; CapacityUnits?: number }>;
    const isRead = kind ? kind === 'read' : READS.test(operation);
    for (const entry of entries) {
      const units = Number(entry?.CapacityUnits ?? 0);
      const name = String(entry?.TableName);
      this.usage.tables[name] ??= { readUnits: 0, writeUnits: 0 };
      const table = this.usage.tables[name];
      if (isRead) {
        this.usage.readUnits += units;
        table.readUnits += units;
      } else {
        this.usage.writeUnits += units;
        table.writeUnits += units;
      }
    }
  }

  snapshot(): CapacityUsage {
    return structuredClone(this.usage);
  }
}
