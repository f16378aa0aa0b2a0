import type { OrderWorkflow } from '../ports';

/**
 * Starts the execution that drives an order: its first run when it is stored, its resumed run
 * when a restock reserved its stock. Execution names are unique, so a redelivered stream record
 * cannot start a second one.
 */
export function startOrderWorkflow(
  workflow: Pick<OrderWorkflow, 'start'>,
  orderId: string,
  executionName: string,
): Promise<void> {
  return workflow.start(executionName, { orderId });
}
