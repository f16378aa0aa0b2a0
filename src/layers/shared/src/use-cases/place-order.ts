import { type CreateOrderRequest, type Order, orderIdFor, requestHash } from '../domain/order';
import { IdempotencyConflictError, ValidationError } from '../errors';
import type { Inventory, OrderRepository } from '../ports';

export interface Ordering {
  orders: Pick<OrderRepository, 'create' | 'get'>;
  inventory: Pick<Inventory, 'catalogue'>;
}

export interface PlaceOrderInput {
  customerId: string;
  request: CreateOrderRequest;
  idempotencyKey?: string;
  now?: Date;
}

export interface PlaceOrderResult {
  order: Order;
  /** False when an earlier request with the same Idempotency-Key created the order. */
  created: boolean;
}

/**
 * Stores a new order as PENDING. The workflow starts from the table's stream, so accepting the
 * order is one conditional write (after a read that checks every SKU is known, which
 * `cachedCatalogue` saves on a warm function). With an
 * Idempotency-Key the order id is derived from it: a retry finds the order the first request made
 * and answers with it.
 * @throws ValidationError naming `items.N.sku` for each SKU the inventory does not know
 * @throws IdempotencyConflictError when the key was used for another body
 */
export async function placeOrder(
  { orders, inventory }: Ordering,
  { customerId, request, idempotencyKey, now = new Date() }: PlaceOrderInput,
): Promise<PlaceOrderResult> {
  const catalogue = await inventory.catalogue(request.items.map((i) => i.sku));
  const unknown = request.items.flatMap((line, index) =>
    catalogue.has(line.sku) ? [] : [{ field: `items.${index}.sku`, message: 'is not a known SKU' }],
  );
  if (unknown.length > 0) throw new ValidationError(unknown);

  const orderId = await orderIdFor(customerId, idempotencyKey);
  const split = [...catalogue].filter(([, shards]) => shards > 1);
  const order: Order = {
    orderId,
    customerId,
    status: 'PENDING',
    items: request.items,
    shippingAddress: request.shippingAddress,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    requestHash: await requestHash(request),
    executionName: orderId,
    ...(split.length > 0 ? { stockShards: Object.fromEntries(split) } : {}),
  };
  if (await orders.create(order)) return { order, created: true };

  const existing = await orders.get(orderId);
  if (!existing || existing.customerId !== customerId) {
    // Only reachable through a hash collision: refuse rather than leak another order.
    throw new IdempotencyConflictError('Idempotency-Key cannot be used for this request');
  }
  if (existing.requestHash !== order.requestHash) {
    throw new IdempotencyConflictError(
      'Idempotency-Key was already used with a different request body',
    );
  }
  return { order: existing, created: false };
}
