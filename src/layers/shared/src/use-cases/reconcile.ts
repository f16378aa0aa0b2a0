import { type Order, snapshotOf } from '../domain/order';
import type { OrderRepository, OrderWorkflow } from '../ports';

export interface Reconciliation {
  orders: Pick<OrderRepository, 'get' | 'inFlightSince' | 'recordRescue'>;
  workflow: OrderWorkflow;
}

/** What the reconciler did for one order. */
export interface Rescue {
  orderId: string;
  status: Order['status'];
  /** The execution that was driving the order, and what Step Functions said of it. */
  execution: string;
  executionStatus: string;
  action: 'redriven' | 'started' | 'restarted';
  /** The execution that drives the order now. */
  executionName: string;
}

/**
 * Finds orders whose workflow has not finished `staleAfterSeconds` after they entered their
 * current stretch (or after their last rescue), and drives each on: a failed Standard execution
 * is redriven from the state that failed; a missing one (its start was lost) is started; one that
 * ended without finishing the order, or any Express one, is followed by a new execution. Orders
 * whose execution is still running are left to it. Safe to run twice at once: execution names are
 * unique and a redriven execution is running, so a second run's actions are refused.
 * @returns what was done, order by order
 */
export async function reconcileOrders(
  { orders, workflow }: Reconciliation,
  {
    staleAfterSeconds,
    limit = 100,
    now = new Date(),
  }: { staleAfterSeconds: number; limit?: number; now?: Date },
): Promise<Rescue[]> {
  const cutoff = new Date(now.getTime() - staleAfterSeconds * 1000).toISOString();
  const rescues: Rescue[] = [];
  for (const orderId of await orders.inFlightSince(cutoff, limit)) {
    const order = await orders.get(orderId);
    if (!order?.inFlight) continue;
    if (order.updatedAt > cutoff || (order.rescuedAt ?? '') > cutoff) continue;

    const executionStatus = await workflow.status(order.executionName);
    let action: Rescue['action'];
    let executionName = order.executionName;
    if (executionStatus === 'RUNNING' || executionStatus === 'PENDING_REDRIVE') continue;
    if (
      ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(executionStatus) &&
      (await workflow.redrive(executionName))
    ) {
      action = 'redriven';
    } else if (executionStatus === 'NOT_FOUND') {
      await workflow.start(executionName, { orderId, order: snapshotOf(order) });
      action = 'started';
    } else {
      executionName = `${orderId}-rescue-${(order.rescues ?? 0) + 1}`;
      await workflow.start(executionName, { orderId, order: snapshotOf(order) });
      action = 'restarted';
    }
    await orders.recordRescue(order, executionName, now);
    rescues.push({
      orderId,
      status: order.status,
      execution: order.executionName,
      executionStatus,
      action,
      executionName,
    });
  }
  return rescues;
}
