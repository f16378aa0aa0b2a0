import type { StockArrival, StockLevel } from './domain/inventory';
import type { Order, OrderSnapshot, Shipment } from './domain/order';

/**
 * The application's ports: what the use cases need from storage and from the workflow service,
 * as small interfaces. The adapters (DynamoDB, Step Functions) implement them; the use cases never
 * see an AWS client.
 */

/** A page of results and the opaque cursor for the next one. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Orders as the API and the reconciler read and write them. */
export interface OrderRepository {
  /** Stores a new order; returns false when an order with that id already exists. */
  create(order: Order): Promise<boolean>;
  get(orderId: string): Promise<Order | undefined>;
  /**
   * The customer's orders, newest first.
   * @throws ValidationError naming `cursor` when the cursor is not one this listing handed out
   */
  listByCustomer(customerId: string, limit: number, cursor?: string): Promise<Page<Order>>;
  /**
   * Ids of orders whose workflow has not finished (not resting, or not yet notified) that entered
   * that state before `before` (ISO 8601), oldest first, at most `limit`.
   */
  inFlightSince(before: string, limit: number): Promise<string[]>;
  /**
   * Records a rescue by the reconciler, if no one else recorded one since `seen` was read: the
   * rescue count, when, and the execution that now drives the order. False when someone did.
   */
  recordRescue(seen: Order, executionName: string, now: Date): Promise<boolean>;
}

/** What `OrderLedger.reserve` did. */
export type ReserveOutcome =
  | { outcome: 'reserved' }
  | { outcome: 'short'; missingSkus: string[] }
  /** The order was not in the status it was read in: here it is as it is now. */
  | { outcome: 'moved'; order: Order };

/** What `OrderLedger.backorder` did. */
export type BackorderOutcome =
  | { outcome: 'backordered'; order: OrderSnapshot & Pick<Order, 'missingSkus'> }
  /** A SKU the order is short of has more stock now than when the order was found short. */
  | { outcome: 'stock-changed' }
  | { outcome: 'moved'; order: Order };

/** What a plain status change did. */
export type TransitionOutcome =
  | { outcome: 'done'; order: Order }
  | { outcome: 'moved'; order: Order };

/**
 * Every change of an order's status, together with the stock it takes or gives back, as ONE
 * atomic, conditional write: the change happens only if the order is still in the status (and
 * holds the reservation) it was read with, so two attempts of a step, or two different steps,
 * can never both act on the same order. When it is not, the write fails and DynamoDB hands back
 * the order as it is (`moved`): no step needs to read an order before changing it. Stock conservation, per SKU:
 * `available + held + committed = received`, and no order in a resting status holds stock.
 */
export interface OrderLedger {
  /** PENDING -> RESERVED, taking every line from stock, all or nothing. */
  reserve(order: OrderSnapshot, now: Date): Promise<ReserveOutcome>;
  /**
   * BACKORDERED -> RESERVED, taking every line from stock, all or nothing, and leaving the
   * backorder queues; a new execution, `executionName`, drives the order from here.
   */
  resume(order: Order, now: Date, executionName: string): Promise<ReserveOutcome>;
  /**
   * PENDING -> BACKORDERED and queued under each of its SKUs, only if the first of `missingSkus`
   * still cannot serve the order's line of it: a restock in between cannot be missed.
   */
  backorder(order: OrderSnapshot, missingSkus: string[], now: Date): Promise<BackorderOutcome>;
  /** RESERVED -> SHIPPED; the held stock becomes sold. */
  ship(orderId: string, shipment: Shipment, now: Date): Promise<TransitionOutcome>;
  /** Any status but SHIPPED -> FAILED, giving held stock back and leaving the backorder queues. */
  fail(order: Order, reason: string, now: Date): Promise<TransitionOutcome>;
  /** Ids of the orders waiting for a SKU, oldest first. */
  backordersFor(sku: string): AsyncIterable<string>;
}

/** Stock records per SKU. */
export interface Inventory {
  /** Of these SKUs, those the inventory knows, each with its number of stock shards. */
  catalogue(skus: string[]): Promise<Map<string, number>>;
  /** Adds an arrival's units; false when that arrival was applied before. */
  receive(arrival: StockArrival, now: Date): Promise<boolean>;
  /** The SKU's stock summed over its shards, or undefined for an unknown SKU. */
  stock(sku: string): Promise<StockLevel | undefined>;
  /** Spreads a SKU's stock over `shards` stock items (only ever more), for a hot SKU. */
  split(sku: string, shards: number): Promise<void>;
}

/** What Step Functions says of an execution; `unknown` where it cannot say (Express). */
export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE'
  | 'NOT_FOUND'
  | 'UNKNOWN';

/** An execution's input: the order it drives, and what it knows of it (see `OrderSnapshot`). */
export interface WorkflowInput {
  orderId: string;
  order?: OrderSnapshot;
}

/** The order workflow's executions. */
export interface OrderWorkflow {
  /** Starts an execution under a unique name; an existing execution counts as started. */
  start(executionName: string, input: WorkflowInput): Promise<void>;
  status(executionName: string): Promise<ExecutionStatus>;
  /** Redrives a failed execution from the state that failed; false if it cannot be redriven. */
  redrive(executionName: string): Promise<boolean>;
}
