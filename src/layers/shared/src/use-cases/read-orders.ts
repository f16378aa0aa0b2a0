import { DEFAULT_PAGE_SIZE, type Order } from '../domain/order';
import { NotFoundError } from '../errors';
import type { OrderRepository, Page } from '../ports';

/** Returns the order if it belongs to the customer; anyone else gets the same 404 as a miss. */
export async function getCustomerOrder(
  orders: Pick<OrderRepository, 'get'>,
  customerId: string,
  orderId: string,
): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order || order.customerId !== customerId) {
    throw new NotFoundError(`Order ${orderId} not found`);
  }
  return order;
}

/** The customer's orders, newest first, `limit` (default 20) at a time. */
export function listCustomerOrders(
  orders: Pick<OrderRepository, 'listByCustomer'>,
  customerId: string,
  { limit, cursor }: { limit?: string | number; cursor?: string },
): Promise<Page<Order>> {
  return orders.listByCustomer(customerId, Number(limit ?? DEFAULT_PAGE_SIZE), cursor);
}
