import type { Order, OrderNotification, Shipment } from '../domain/order';
import { InvalidOrderStateError, NotFoundError } from '../errors';
import type { InventoryStore, OrderRepository } from '../ports';

/**
 * The workflow's steps. Step Functions retries tasks, so each step is idempotent: it reads the
 * order's status first and, when the step already happened, returns what it returned then.
 */
export interface Fulfilment {
  orders: OrderRepository;
  inventory: InventoryStore;
}

async function load(orders: OrderRepository, orderId: string): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order) throw new NotFoundError(`Order ${orderId} not found`);
  return order;
}

export interface ProcessOrderResult {
  orderId: string;
  inStock: boolean;
  missingSkus: string[];
}

/** Reserves stock for every line, all or nothing, and records the outcome on the order. */
export async function processOrder(
  { orders, inventory }: Fulfilment,
  orderId: string,
): Promise<ProcessOrderResult> {
  const order = await load(orders, orderId);
  switch (order.status) {
    case 'RESERVED':
    case 'SHIPPED':
      return { orderId, inStock: true, missingSkus: [] };
    case 'BACKORDERED':
      return { orderId, inStock: false, missingSkus: order.missingSkus ?? [] };
    case 'FAILED':
      throw new InvalidOrderStateError(`Order ${orderId} has failed and cannot be processed`);
    case 'PENDING':
      break;
  }

  const result = await inventory.reserve(orderId, order.items);
  if (!result.reserved) return { orderId, inStock: false, missingSkus: result.missingSkus };

  const reserved = await orders.transition(orderId, ['PENDING'], 'RESERVED');
  if (!reserved) {
    // Someone else moved the order on meanwhile (a concurrent retry); trust what it recorded.
    const current = await load(orders, orderId);
    if (current.status !== 'RESERVED' && current.status !== 'SHIPPED') {
      await inventory.release(orderId, order.items);
      throw new InvalidOrderStateError(`Order ${orderId} is ${current.status}, not reservable`);
    }
  }
  return { orderId, inStock: true, missingSkus: [] };
}

/** A deterministic tracking id: shipping the same order twice yields the same shipment. */
function shipmentFor(order: Order, now: Date): Shipment {
  return {
    carrier: 'ACME Logistics',
    trackingId: `ACME-${order.orderId.replaceAll('-', '').slice(0, 12).toUpperCase()}`,
    shippedAt: now.toISOString(),
  };
}

function shippedNotification(order: Order): OrderNotification {
  return {
    type: 'ORDER_SHIPPED',
    orderId: order.orderId,
    customerId: order.customerId,
    status: 'SHIPPED',
    message: `Your order ${order.orderId} has shipped.`,
    trackingId: order.shipment?.trackingId,
  };
}

/** Commits the reservation and records the shipment. */
export async function shipOrder(
  { orders, inventory }: Fulfilment,
  orderId: string,
  now = new Date(),
): Promise<OrderNotification> {
  const order = await load(orders, orderId);
  if (order.status === 'SHIPPED') return shippedNotification(order);
  if (order.status !== 'RESERVED') {
    throw new InvalidOrderStateError(`Order ${orderId} is ${order.status}, not RESERVED`);
  }
  await inventory.commit(orderId, order.items);
  const shipped = await orders.transition(orderId, ['RESERVED'], 'SHIPPED', {
    shipment: shipmentFor(order, now),
  });
  return shippedNotification(shipped ?? (await load(orders, orderId)));
}

/** Marks the order BACKORDERED and indexes it under each missing SKU for the restock trigger. */
export async function backorderOrder(
  { orders }: Pick<Fulfilment, 'orders'>,
  orderId: string,
  missingSkus: string[],
): Promise<OrderNotification> {
  const order = await load(orders, orderId);
  if (order.status !== 'PENDING' && order.status !== 'BACKORDERED') {
    throw new InvalidOrderStateError(`Order ${orderId} is ${order.status}, cannot backorder`);
  }
  const skus = missingSkus.length > 0 ? missingSkus : order.items.map((i) => i.sku);
  const backordered =
    (await orders.transition(orderId, ['PENDING', 'BACKORDERED'], 'BACKORDERED', {
      missingSkus: skus,
    })) ?? (await load(orders, orderId));
  // After the status change, so a retry after a crash here still writes the index.
  await orders.addBackorders(backordered, skus);
  return {
    type: 'ORDER_BACKORDERED',
    orderId,
    customerId: order.customerId,
    status: 'BACKORDERED',
    message: `Your order ${orderId} is waiting for stock of ${skus.join(', ')}.`,
    missingSkus: skus,
  };
}

/** The failure path: give back any reservation and mark the order FAILED (unless it shipped). */
export async function failOrder(
  { orders, inventory }: Fulfilment,
  orderId: string,
  reason: string,
): Promise<OrderNotification> {
  const order = await orders.get(orderId);
  if (!order) {
    return { type: 'ORDER_FAILED', orderId, status: 'FAILED', message: reason };
  }
  if (order.status === 'SHIPPED') {
    throw new InvalidOrderStateError(`Order ${orderId} has shipped and cannot fail`);
  }
  await inventory.release(orderId, order.items);
  await orders.removeBackorders(order);
  await orders.transition(orderId, ['PENDING', 'RESERVED', 'BACKORDERED', 'FAILED'], 'FAILED', {
    failureReason: reason,
  });
  return {
    type: 'ORDER_FAILED',
    orderId,
    customerId: order.customerId,
    status: 'FAILED',
    message: `We could not process your order ${orderId}. It has been cancelled.`,
  };
}
