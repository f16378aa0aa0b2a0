import { type OrderSnapshot, snapshotOf } from '../domain/order';
import type { OrderWorkflow } from '../ports';

/**
 * Starts the execution that drives an order: its first run when it is stored, its resumed run
 * when a restock reserved its stock. Execution names are unique, so a redelivered stream record
 * cannot start a second one. The input carries the order's snapshot, so ProcessOrder need not
 * read the order back.
 */
export function startOrderWorkflow(
  workflow: Pick<OrderWorkflow, 'start'>,
  order: OrderSnapshot,
  executionName: string,
): Promise<void> {
  return workflow.start(executionName, { orderId: order.orderId, order: snapshotOf(order) });
}
