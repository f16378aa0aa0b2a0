import type { ReservationResult } from './domain/inventory';
import type { Order, OrderLine, OrderStatus, Shipment } from './domain/order';

/** A page of results and the opaque cursor for the next one. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface OrderRepository {
  /** Stores a new order; returns false when an order with that id already exists. */
  create(order: Order): Promise<boolean>;
  get(orderId: string): Promise<Order | undefined>;
  listByCustomer(customerId: string, limit: number, cursor?: string): Promise<Page<Order>>;
  /**
   * Moves the order to `to` if its status is one of `from`, setting `changes` too. Returns the
   * order as it is afterwards, or undefined if its status was not one of `from`.
   */
  transition(
    orderId: string,
    from: OrderStatus[],
    to: OrderStatus,
    changes?: Partial<Pick<Order, 'missingSkus' | 'shipment' | 'failureReason'>>,
  ): Promise<Order | undefined>;
  /** Indexes a backordered order under each SKU it waits for (idempotent). */
  addBackorders(order: Order, skus: string[]): Promise<void>;
  removeBackorders(order: Order): Promise<void>;
  /** Order ids waiting for a SKU, oldest first. */
  backorderedFor(sku: string): AsyncIterable<string>;
}

export interface InventoryStore {
  /** Reserves every line for the order, all or nothing. Reserving twice is a no-op. */
  reserve(orderId: string, lines: OrderLine[]): Promise<ReservationResult>;
  /** Turns the order's reservations into sales. Committing twice is a no-op. */
  commit(orderId: string, lines: OrderLine[]): Promise<void>;
  /** Returns the order's reservations to stock. Releasing twice, or nothing, is a no-op. */
  release(orderId: string, lines: OrderLine[]): Promise<void>;
  /** Adds an arrival's stock; returns false if that arrival was already applied. */
  addStock(sku: string, quantity: number, arrivalId: string): Promise<boolean>;
  available(sku: string): Promise<number>;
}

export interface WorkflowStarter {
  /** Starts the order workflow under a unique name; an existing execution counts as started. */
  start(executionName: string, input: { orderId: string }): Promise<void>;
}

export type { Shipment };
