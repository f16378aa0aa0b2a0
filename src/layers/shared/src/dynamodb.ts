/**
 * `@orders/shared/dynamodb`: the DynamoDB client and the adapters that keep orders and stock in
 * the two tables. Values from the core are imported through `@orders/shared`, so a function that
 * loads both modules shares one copy of the core (one error family, one logger).
 */
export { dynamoInventory } from './adapters/dynamodb-inventory';
export { IN_FLIGHT_INDEX } from './adapters/dynamodb-items';
export { dynamoOrderLedger } from './adapters/dynamodb-ledger';
export { dynamoOrderRepository } from './adapters/dynamodb-orders';
export { dynamoDb } from './runtime/dynamodb-client';
