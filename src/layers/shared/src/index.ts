/**
 * The shared layer: domain, use cases, ports and adapters that every function uses, with the
 * AWS SDK clients and Powertools. Functions import only from here (`@orders/shared`); the layer
 * ships it as one bundled package in /opt/nodejs/node_modules.
 */
export { dynamoInventoryStore } from './adapters/dynamodb-inventory';
export { dynamoOrderRepository } from './adapters/dynamodb-orders';
export { stepFunctionsWorkflow } from './adapters/step-functions';
export { type StockArrival, stockArrivalSchema } from './domain/inventory';
export {
  createOrderRequestSchema,
  idempotencyKeySchema,
  listOrdersQuerySchema,
  type Order,
  type OrderNotification,
  parseOrThrow,
  toPublicOrder,
} from './domain/order';
export * from './errors';
export type * from './ports';
export { dynamoStreamBatchHandler, newImageOf, sqsBatchHandler } from './runtime/batch';
export { dynamoDb, stepFunctions } from './runtime/clients';
export { requireEnv } from './runtime/env';
export { instrument } from './runtime/handler';
export {
  customerIdOf,
  errorResponse,
  type HttpEvent,
  type HttpResult,
  httpHandler,
  json,
  parseJsonBody,
} from './runtime/http';
export { countEvent, logger, metrics, tracer } from './runtime/observability';
export {
  backorderInputSchema,
  failOrderInputSchema,
  taskHandler,
  workflowTaskInputSchema,
} from './runtime/task';
export * from './use-cases/fulfilment';
export { placeOrder } from './use-cases/place-order';
export { getCustomerOrder, listCustomerOrders } from './use-cases/read-orders';
export { restock, resumedExecutionName } from './use-cases/restock';
export { startOrderWorkflow } from './use-cases/start-workflow';
