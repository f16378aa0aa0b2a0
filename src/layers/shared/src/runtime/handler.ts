import type { Context } from 'aws-lambda';
import { logger, metrics } from './observability';

/**
 * Wraps a Lambda handler with what every function needs: the request id and cold start in each
 * log line, a `ColdStart` metric per function (dimension `function_name`), and metrics flushed
 * (as CloudWatch EMF) after every invocation.
 */
export function instrument<E, R>(
  handle: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    logger.addContext(context);
    metrics.captureColdStartMetric(context.functionName);
    try {
      return await handle(event, context);
    } finally {
      // Functions without business metrics publish nothing (and log no warning about it).
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
