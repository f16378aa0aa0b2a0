import type { Order, OrderNotification, OrderSnapshot, Shipment } from '../domain/order';
import { InvalidOrderStateError, NotFoundError, StockChangedError } from '../errors';
import type { OrderLedger, OrderRepository } from '../ports';

/**
 * The workflow's steps. Step Functions retries a task, Express workflows may run one twice, and a
 * rescued order gets a new execution, so every step is safe to run again and alongside any other
 * step: it decides from the order's status as it last knew it (the snapshot the workflow carries,
 * or a read) and asks the ledger for a change that only happens if the order is still in that
 * status. When another attempt got there first, the ledger hands back the order as it is now and
 * the step decides again from that, so no step reads an order just to change it.
 */
export interface Fulfilment {
  orders: Pick<OrderRepository, 'get'>;
  ledger: OrderLedger;
}

/** How many times a step re-decides after losing a race before calling the state invalid. */
const MAX_DECISIONS = 5;

async function load(orders: Fulfilment['orders'], orderId: string): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order) throw new NotFoundError(`Order ${orderId} not found`);
  return order;
}

/** Runs `decide` on the order, and again on the order as it is now each time the step lost a race. */
async function decideOn<T, O extends OrderSnapshot = Order>(
  order: O,
  decide: (order: O | Order) => Promise<{ result: T } | { moved: Order }>,
): Promise<T> {
  let current: O | Order = order;
  for (let decisions = 0; decisions < MAX_DECISIONS; decisions++) {
    const next = await decide(current);
    if ('result' in next) return next.result;
    current = next.moved;
  }
  throw new InvalidOrderStateError(`Order ${order.orderId} kept changing under this step`);
}

export interface ProcessOrderResult {
  orderId: string;
  inStock: boolean;
  missingSkus: string[];
}

/**
 * Reserves stock for every line, all or nothing. From the snapshot the workflow carries, this is
 * one transaction; without one (an execution started by hand with only the order id), the order
 * is read first.
 */
export async function processOrder(
  { orders, ledger }: Fulfilment,
  orderId: string,
  now = new Date(),
  snapshot?: OrderSnapshot,
): Promise<ProcessOrderResult> {
  const known = snapshot?.orderId === orderId ? snapshot : await load(orders, orderId);
  return decideOn<ProcessOrderResult, OrderSnapshot>(known, async (order) => {
    switch (order.status) {
      case 'RESERVED':
      case 'SHIPPED':
        return { result: { orderId, inStock: true, missingSkus: [] } };
      case 'BACKORDERED':
        return { result: { orderId, inStock: false, missingSkus: order.missingSkus ?? [] } };
      case 'FAILED':
        throw new InvalidOrderStateError(`Order ${orderId} has failed and cannot be processed`);
      case 'PENDING': {
        const reserved = await ledger.reserve(order, now);
        if (reserved.outcome === 'moved') return { moved: reserved.order };
        const missingSkus = reserved.outcome === 'short' ? reserved.missingSkus : [];
        return { result: { orderId, inStock: reserved.outcome === 'reserved', missingSkus } };
      }
    }
  });
}

/** A deterministic tracking id: shipping the same order twice yields the same shipment. */
function shipmentFor(orderId: string, now: Date): Shipment {
  return {
    carrier: 'ACME Logistics',
    trackingId: `ACME-${orderId.replaceAll('-', '').slice(0, 12).toUpperCase()}`,
    shippedAt: now.toISOString(),
  };
}

export function shippedNotification(order: Order): OrderNotification {
  return {
    type: 'ORDER_SHIPPED',
    orderId: order.orderId,
    customerId: order.customerId,
    status: 'SHIPPED',
    message: `Your order ${order.orderId} has shipped.`,
    trackingId: order.shipment?.trackingId,
  };
}

/**
 * Commits the reservation and records the shipment: one conditional update, which hands back the
 * order as it is when it was not RESERVED (already SHIPPED by another attempt: the same answer).
 */
export async function shipOrder(
  { ledger }: Pick<Fulfilment, 'ledger'>,
  orderId: string,
  now = new Date(),
): Promise<OrderNotification> {
  const shipped = await ledger.ship(orderId, shipmentFor(orderId, now), now);
  if (shipped.outcome === 'done' || shipped.order.status === 'SHIPPED') {
    return shippedNotification(shipped.order);
  }
  throw new InvalidOrderStateError(`Order ${orderId} is ${shipped.order.status}, not RESERVED`);
}

function backorderedNotification(
  order: OrderSnapshot & Pick<Order, 'missingSkus'>,
): OrderNotification {
  const skus = order.missingSkus ?? [];
  return {
    type: 'ORDER_BACKORDERED',
    orderId: order.orderId,
    customerId: order.customerId,
    status: 'BACKORDERED',
    message: `Your order ${order.orderId} is waiting for stock of ${skus.join(', ')}.`,
    missingSkus: skus,
  };
}

/**
 * Marks the order BACKORDERED and queues it under each of its SKUs for the next restock.
 * @throws StockChangedError when stock of a missing SKU arrived since the order was found short
 *   (or the order got its stock meanwhile): the workflow then processes the order again
 */
export async function backorderOrder(
  { orders, ledger }: Fulfilment,
  orderId: string,
  missingSkus: string[],
  now = new Date(),
): Promise<OrderNotification> {
  return decideOn<OrderNotification, Order>(await load(orders, orderId), async (order) => {
    switch (order.status) {
      case 'BACKORDERED':
        return { result: backorderedNotification(order) };
      case 'RESERVED':
      case 'SHIPPED':
        throw new StockChangedError(`Order ${orderId} got its stock meanwhile`);
      case 'FAILED':
        throw new InvalidOrderStateError(`Order ${orderId} has failed and cannot be backordered`);
      case 'PENDING': {
        const skus = missingSkus.length > 0 ? missingSkus : order.items.map((i) => i.sku);
        const backordered = await ledger.backorder(order, skus, now);
        if (backordered.outcome === 'moved') return { moved: backordered.order };
        if (backordered.outcome === 'stock-changed') {
          throw new StockChangedError(`Stock of ${skus[0]} arrived for order ${orderId}`);
        }
        return { result: backorderedNotification(backordered.order) };
      }
    }
  });
}

function failedNotification(order: Pick<Order, 'orderId' | 'customerId'>): OrderNotification {
  return {
    type: 'ORDER_FAILED',
    orderId: order.orderId,
    customerId: order.customerId,
    status: 'FAILED',
    message: `We could not process your order ${order.orderId}. It has been cancelled.`,
  };
}

/**
 * The failure path: gives back any stock the order holds and marks it FAILED. An order that
 * shipped meanwhile stays shipped, and the customer is told that instead.
 */
export async function failOrder(
  { orders, ledger }: Fulfilment,
  orderId: string,
  reason: string,
  now = new Date(),
): Promise<OrderNotification> {
  const found = await orders.get(orderId);
  if (!found) {
    return { type: 'ORDER_FAILED', orderId, status: 'FAILED', message: reason };
  }
  return decideOn<OrderNotification, Order>(found, async (order) => {
    if (order.status === 'SHIPPED') return { result: shippedNotification(order) };
    if (order.status === 'FAILED') return { result: failedNotification(order) };
    const failed = await ledger.fail(order, reason, now);
    return failed.outcome === 'done'
      ? { result: failedNotification(failed.order) }
      : { moved: failed.order };
  });
}
