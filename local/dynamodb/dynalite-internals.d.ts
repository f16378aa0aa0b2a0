// The parts of dynalite's own modules this folder reuses: its request validation and expression
// parsing (`validations`), its condition evaluation and key encoding (`db`), and its item actions,
// which it runs against a scratch store to compute a write without storing it.

declare module 'dynalite/db' {
  /** dynalite's errors carry the DynamoDB answer: HTTP status and JSON body. */
  export interface DynaliteError extends Error {
    statusCode: number;
    body: { __type: string; message?: string; Message?: string };
  }
  export type AttributeValue = Record<string, unknown>;
  export type Item = Record<string, AttributeValue>;
  export interface TableDescription {
    TableName: string;
    TableArn: string;
    TableStatus: string;
    KeySchema: Array<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>;
    AttributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
    [other: string]: unknown;
  }
  export function createKey(item: Item, table: TableDescription): string;
  export function validateKey(key: Item, table: TableDescription): DynaliteError | undefined;
  export function validateItem(item: Item, table: TableDescription): DynaliteError | undefined;
  export function checkConditional(
    data: Record<string, unknown>,
    existingItem: Item | undefined,
  ): DynaliteError | null | undefined;
  export function itemSize(item: Item): number;
  export function mapPaths(paths: unknown[], item: Item): Item;
  export function capacityUnits(
    item: Item | undefined,
    isRead: boolean,
    consistent?: boolean,
  ): number;
}

declare module 'dynalite/validations' {
  export type Types = Record<string, unknown>;
  export type Custom = (data: Record<string, unknown>, store: unknown) => string | undefined;
  export function checkTypes(data: Record<string, unknown>, types: Types): Record<string, unknown>;
  export function checkValidations(
    data: Record<string, unknown>,
    types: Types,
    custom: Custom | undefined,
    store: unknown,
  ): void;
}

declare module 'dynalite/validations/*' {
  export const types: import('dynalite/validations').Types;
  export const custom: import('dynalite/validations').Custom | undefined;
}

declare module 'dynalite/actions/*' {
  type Callback = (err: import('dynalite/db').DynaliteError | null, result?: unknown) => void;
  const action: (store: unknown, data: Record<string, unknown>, cb: Callback) => void;
  export = action;
}
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}
