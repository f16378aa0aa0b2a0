import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoInventory, dynamoOrderLedger, dynamoOrderRepository } from '@orders/shared/dynamodb';
import type { Context } from 'aws-lambda';
import { createTables, localDynamoDbClient } from '../../local/dynamodb/endpoint';
import { ROOT } from '../../local/template';

/** A sample event from events/, the same files `sam local invoke -e` uses. */
export function sampleEvent<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(ROOT, 'events', `${name}.json`), 'utf8')) as T;
}

/** A Lambda context good enough for Powertools. */
export function lambdaContext(functionName = 'test-function'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export interface TestTables {
  ordersTable: string;
  inventoryTable: string;
  documentClient: DynamoDBDocumentClient;
  orders: ReturnType<typeof dynamoOrderRepository>;
  ledger: ReturnType<typeof dynamoOrderLedger>;
  inventory: ReturnType<typeof dynamoInventory>;
}

/**
 * Creates this test file's own copy of the template's tables on the shared endpoint and points
 * the functions' environment variables at them.
 */
export async function createTestTables(): Promise<TestTables> {
  const url = process.env.DYNAMODB_ENDPOINT;
  if (!url) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests through jest');
  const client = localDynamoDbClient(url);
  const names = await createTables(client, `-${randomUUID().slice(0, 8)}`);
  const ordersTable = names.OrdersTable as string;
  const inventoryTable = names.InventoryTable as string;
  process.env.ORDERS_TABLE = ordersTable;
  process.env.INVENTORY_TABLE = inventoryTable;
  const documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    ordersTable,
    inventoryTable,
    documentClient,
    orders: dynamoOrderRepository(documentClient, ordersTable),
    ledger: dynamoOrderLedger(documentClient, { orders: ordersTable, inventory: inventoryTable }),
    inventory: dynamoInventory(documentClient, inventoryTable),
  };
}
