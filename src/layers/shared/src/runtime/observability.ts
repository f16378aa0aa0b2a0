import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One logger, tracer and metrics instance per function, configured by the Powertools
 * environment variables the template sets (service name, metrics namespace, log level).
 */
export const logger = new Logger();
export const tracer = new Tracer();
export const metrics = new Metrics();

export { MetricUnit };

/** Counts one business event (OrderCreated, OrderShipped, ...) in the function's metrics. */
export function countEvent(name: string): void {
  metrics.addMetric(name, MetricUnit.Count, 1);
}
