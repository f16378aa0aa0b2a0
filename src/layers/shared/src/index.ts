/**
 * The shared layer's core, `@orders/shared`: the domain, the use cases and their ports, the error
 * family, and the Lambda plumbing every function needs (logging, metrics, HTTP and task handlers).
 * It loads no AWS client: those come with the layer's other modules, which a function imports only
 * if it uses them (`@orders/shared/dynamodb`, `@orders/shared/step-functions`,
 * `@orders/shared/batch`), so each function loads what it needs and nothing else.
 */
export { type StockArrival, type StockLevel, stockArrivalSchema } from './domain/inventory';
export {
  createOrderRequestSchema,
  idempotencyKeySchema,
  listOrdersQuerySchema,
  type Order,
  type OrderLine,
  type OrderNotification,
  type OrderSnapshot,
  type OrderStatus,
  orderIdSchema,
  RESTING_STATUSES,
  type ReservedLine,
  type Shipment,
  snapshotOf,
  TERMINAL_STATUSES,
  toPublicOrder,
} from './domain/order';
export { parseOrThrow, type Schema } from './domain/validation';
export * from './errors';
export type * from './ports';
export { awsClientConfig, requireEnv } from './runtime/env';
export { instrument } from './runtime/handler';
export {
  type Claims,
  claimsOf,
  customerIdOf,
  errorResponse,
  type HttpEvent,
  type HttpResult,
  httpHandler,
  json,
  parseJsonBody,
} from './runtime/http';
export { countEvent, logger, metrics } from './runtime/observability';
export {
  backorderInputSchema,
  failOrderInputSchema,
  processOrderInputSchema,
  taskHandler,
  workflowTaskInputSchema,
} from './runtime/task';
export { cachedCatalogue } from './use-cases/catalogue-cache';
export * from './use-cases/fulfilment';
export { placeOrder } from './use-cases/place-order';
export { getCustomerOrder, listCustomerOrders } from './use-cases/read-orders';
export { type Rescue, reconcileOrders } from './use-cases/reconcile';
export { receiveStock, resumeBackorders, resumedExecutionName } from './use-cases/restock';
export { startOrderWorkflow } from './use-cases/start-workflow';
