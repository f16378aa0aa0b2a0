import type { CapacityUsage } from '../local/dynamodb/local-dynamodb';

/** The p-th percentile (nearest rank) of some numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** A markdown table; columns after the first are right-aligned. */
export function table(headers: string[], rows: Array<Array<string | number>>): string[] {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

export const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** DynamoDB work between two usage snapshots of the local DynamoDB. */
export interface DynamoWork {
  readUnits: number;
  writeUnits: number;
  /** Requests by operation. */
  operations: Record<string, number>;
  /** Units by table. */
  tables: Record<string, { readUnits: number; writeUnits: number }>;
}

export function dynamoWork(after: CapacityUsage, before: CapacityUsage): DynamoWork {
  const operations: Record<string, number> = {};
  for (const [op, n] of Object.entries(after.operations)) {
    const d = n - (before.operations[op] ?? 0);
    if (d > 0) operations[op] = d;
  }
  const tables: DynamoWork['tables'] = {};
  for (const [name, t] of Object.entries(after.tables)) {
    const b = before.tables[name] ?? { readUnits: 0, writeUnits: 0 };
    const d = { readUnits: t.readUnits - b.readUnits, writeUnits: t.writeUnits - b.writeUnits };
    if (d.readUnits || d.writeUnits) tables[name] = d;
  }
  return {
    readUnits: after.readUnits - before.readUnits,
    writeUnits: after.writeUnits - before.writeUnits,
    operations,
    tables,
  };
}

/** `GetItem 1, TransactWriteItems 1`: requests by operation, divided by `per`. */
export function operationList(operations: Record<string, number>, per = 1): string {
  const entries = Object.entries(operations).filter(([, n]) => n > 0);
  if (entries.length === 0) return '–';
  return entries
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `${op} ${Number.isInteger(n / per) ? n / per : (n / per).toFixed(2)}`)
    .join(', ');
}

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
