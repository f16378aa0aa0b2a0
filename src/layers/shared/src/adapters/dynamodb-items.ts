import type { Order } from '../domain/order';

/**
 * How orders and stock are laid out in the two tables (the README's "Data design" explains why).
 *
 * Orders table (`pk`, `sk`):
 *
 * | item      | pk                | sk                      | index keys                                   |
 * |-----------|-------------------|-------------------------|----------------------------------------------|
 * | order     | `ORDER#<orderId>` | `ORDER`                 | byCustomer: `CUSTOMER#<id>`, `<createdAt>#<orderId>`; inFlight (while the workflow has work left): `INFLIGHT#<first hex digit>`, `<since>#<orderId>` |
 * | backorder | `BACKORDER#<sku>` | `<createdAt>#<orderId>` | none                                         |
 *
 * Inventory table (`pk`):
 *
 * | item          | pk                                  | attributes                                  |
 * |---------------|-------------------------------------|---------------------------------------------|
 * | stock shard   | `STOCK#<sku>` (shard 0), `STOCK#<sku>#<n>` | `sku`, `shard`, `available`, `received`; shard 0 also `shards` |
 * | arrival       | `ARRIVAL#<arrivalId>`               | `sku`, `quantity`, `receivedAt`, `expiresAt` (TTL) |
 */
export const ORDER_ITEM = 'ORDER';
export const BACKORDER_ITEM = 'BACKORDER';
export const CUSTOMER_INDEX = 'byCustomer';
export const IN_FLIGHT_INDEX = 'inFlight';

/** The in-flight index is written in 16 partitions (by the order id's first hex digit). */
export const IN_FLIGHT_PARTITIONS = [...'0123456789abcdef'].map((d) => `INFLIGHT#${d}`);

export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: ORDER_ITEM });

export const backorderKey = (sku: string, order: Pick<Order, 'createdAt' | 'orderId'>) => ({
  pk: `BACKORDER#${sku}`,
  sk: `${order.createdAt}#${order.orderId}`,
});

/** The in-flight index keys of an order that entered its current unfinished stretch at `since`. */
export const inFlightKeys = (orderId: string, since: string) => ({
  gsi2pk: `INFLIGHT#${orderId.charAt(0)}`,
  gsi2sk: `${since}#${orderId}`,
});

export const stockKey = (sku: string, shard = 0) => ({
  pk: shard === 0 ? `STOCK#${sku}` : `STOCK#${sku}#${shard}`,
});

export const arrivalKey = (arrivalId: string) => ({ pk: `ARRIVAL#${arrivalId}` });

/** The item of a new order. */
export function toOrderItem(order: Order) {
  return {
    ...orderKey(order.orderId),
    type: ORDER_ITEM,
    gsi1pk: `CUSTOMER#${order.customerId}`,
    gsi1sk: `${order.createdAt}#${order.orderId}`,
    ...inFlightKeys(order.orderId, order.createdAt),
    ...order,
  };
}

/** An order as stored, without its keys; `inFlight` says whether its workflow has work left. */
export function fromOrderItem(item: Record<string, unknown>): Order & { inFlight: boolean } {
  const { pk: _pk, sk: _sk, type: _t, gsi1pk: _a, gsi1sk: _b, gsi2pk, gsi2sk: _c, ...order } = item;
  return { ...(order as unknown as Order), inFlight: gsi2pk !== undefined };
}
