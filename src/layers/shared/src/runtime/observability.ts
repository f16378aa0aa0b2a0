import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * One logger and one metrics instance per function, configured by the Powertools environment
 * variables the template sets (service name, metrics namespace, log level). Traces come from
 * Lambda and Step Functions themselves (`Tracing: Active`); the README says why no tracing SDK is
 * loaded here.
 */
export const logger = new Logger();
export const metrics = new Metrics();

/** Counts one business event (OrderCreated, OrderShipped, OrdersRescued, ...). */
export function countEvent(name: string, count = 1): void {
  metrics.addMetric(name, MetricUnit.Count, count);
}
