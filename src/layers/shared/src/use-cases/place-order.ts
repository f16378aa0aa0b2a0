import { type CreateOrderRequest, type Order, orderIdFor, requestHash } from '../domain/order';
import { IdempotencyConflictError } from '../errors';
import type { OrderRepository } from '../ports';

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
 * order is one conditional write. With an Idempotency-Key the order id is derived from it: a
 * retry finds the order the first request made and answers with it.
 */
export async function placeOrder(
  orders: OrderRepository,
  { customerId, request, idempotencyKey, now = new Date() }: PlaceOrderInput,
): Promise<PlaceOrderResult> {
  const order: Order = {
    orderId: orderIdFor(customerId, idempotencyKey),
    customerId,
    status: 'PENDING',
    items: request.items,
    shippingAddress: request.shippingAddress,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    requestHash: requestHash(request),
  };
  if (await orders.create(order)) return { order, created: true };

  const existing = await orders.get(order.orderId);
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
