import type { StockArrival } from '../domain/inventory';
import type { InventoryStore, OrderRepository, WorkflowStarter } from '../ports';

export interface Restocking {
  orders: OrderRepository;
  inventory: InventoryStore;
  workflow: WorkflowStarter;
}

export interface RestockResult {
  applied: boolean;
  resumedOrderIds: string[];
}

/** The execution name of an order's second run, after a restock reserved its stock. */
export const resumedExecutionName = (orderId: string) => `${orderId}-resumed`;

/**
 * Adds an arrival's stock, then resumes the SKU's backordered orders oldest first: each one whose
 * lines can now all be reserved is moved to RESERVED and its workflow started again, which ships
 * it. Every step is idempotent, so a redelivered message finishes the work of a failed attempt.
 */
export async function restock(
  { orders, inventory, workflow }: Restocking,
  arrival: StockArrival,
): Promise<RestockResult> {
  const applied = await inventory.addStock(arrival.sku, arrival.quantity, arrival.arrivalId);
  const resumedOrderIds: string[] = [];

  for await (const orderId of orders.backorderedFor(arrival.sku)) {
    const order = await orders.get(orderId);
    if (!order) continue;
    if (order.status === 'BACKORDERED') {
      const result = await inventory.reserve(orderId, order.items);
      if (!result.reserved) {
        // First in, first served: once this SKU runs out, later orders keep waiting.
        if (result.missingSkus.includes(arrival.sku)) break;
        continue;
      }
      if (!(await orders.transition(orderId, ['BACKORDERED'], 'RESERVED'))) {
        await inventory.release(orderId, order.items);
        continue;
      }
    } else if (order.status !== 'RESERVED') {
      // Shipped or failed meanwhile: the index entry is stale.
      await orders.removeBackorders(order);
      continue;
    }
    // RESERVED here, by this call or by an earlier attempt that stopped before finishing.
    await workflow.start(resumedExecutionName(orderId), { orderId });
    await orders.removeBackorders(order);
    resumedOrderIds.push(orderId);
  }
  return { applied, resumedOrderIds };
}
