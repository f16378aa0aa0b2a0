import type { Context } from 'aws-lambda';
import { metrics } from './observability';

/**
 * Wraps a Lambda handler with what every function needs: a `ColdStart` metric per function
 * (dimension `function_name`), and metrics flushed (as CloudWatch EMF) after every invocation.
 * Log lines carry the request id without help: Lambda's runtime adds it.
 */
export function instrument<E, R>(
  handle: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    metrics.captureColdStartMetric(context.functionName);
    try {
      return await handle(event, context);
    } finally {
      // Functions without business metrics publish nothing (and log no warning about it).
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
