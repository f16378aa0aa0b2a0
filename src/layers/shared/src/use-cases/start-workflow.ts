import type { WorkflowStarter } from '../ports';

/**
 * Starts the order workflow for a newly stored order. The execution is named after the order, so
 * a redelivered stream record cannot start a second one.
 */
export function startOrderWorkflow(workflow: WorkflowStarter, orderId: string): Promise<void> {
  return workflow.start(orderId, { orderId });
}
