import type { StockArrival } from '../domain/inventory';
import type { Inventory, OrderLedger, OrderRepository } from '../ports';

/**
 * Adds an arrival's units to the SKU's stock, once per `arrivalId`. Resuming the SKU's backordered
 * orders is not done here: every increase of a SKU's available stock, whatever caused it (an
 * arrival, a failed order giving its stock back), resumes them from the inventory table's stream.
 * @returns false when the arrival had been applied before (a redelivered message)
 */
export function receiveStock(
  inventory: Pick<Inventory, 'receive'>,
  arrival: StockArrival,
  now = new Date(),
): Promise<boolean> {
  return inventory.receive(arrival, now);
}

export interface Resumption {
  orders: Pick<OrderRepository, 'get'>;
  ledger: OrderLedger;
}

/** The execution name of an order's run after a restock reserved its stock. */
export const resumedExecutionName = (orderId: string) => `${orderId}-resumed`;

/**
 * Resumes the orders waiting for a SKU, oldest first, after its available stock went up: each
 * one whose lines can now all be reserved becomes RESERVED in one transaction that also takes it
 * out of the backorder queues and names its new execution (the orders table's stream starts it).
 * First come, first served: once the SKU itself runs short, later orders keep waiting; an order
 * short of another SKU keeps waiting for that one and the next order gets its chance.
 * @returns the ids of the orders resumed
 */
export async function resumeBackorders(
  { orders, ledger }: Resumption,
  sku: string,
  now = new Date(),
): Promise<string[]> {
  const resumed: string[] = [];
  for await (const orderId of ledger.backordersFor(sku)) {
    const order = await orders.get(orderId);
    if (order?.status !== 'BACKORDERED') continue;
    const outcome = await ledger.resume(order, now, resumedExecutionName(orderId));
    if (outcome.outcome === 'reserved') resumed.push(orderId);
    else if (outcome.outcome === 'short' && outcome.missingSkus.includes(sku)) break;
  }
  return resumed;
}
