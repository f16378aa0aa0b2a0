import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

type Fields = Record<string, unknown>;

const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;

/**
 * Structured logs through Lambda's own JSON log format (the template's `LoggingConfig`:
 * `LogFormat: JSON`, and `ApplicationLogLevel`, which Lambda applies by dropping lower levels).
 * Lambda's Node.js runtime turns each `console` call into one JSON line
 * `{"timestamp", "level", "requestId", "message"}`; a single object argument becomes `message`
 * as it is, and an `Error` anywhere inside it becomes `{errorType, errorMessage, stackTrace}`.
 * So `logger.info('Order workflow started', { orderId })` is queryable in CloudWatch Logs
 * Insights as `message.orderId`. Every function shares one log group, so each line names its
 * function. No logging library is loaded: this costs nothing at cold start.
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html#node-js-logging-advanced
 */
export const logger = {
  debug: (message: string, fields?: Fields) => console.debug(line(message, fields)),
  info: (message: string, fields?: Fields) => console.info(line(message, fields)),
  warn: (message: string, fields?: Fields) => console.warn(line(message, fields)),
  error: (message: string, fields?: Fields) => console.error(line(message, fields)),
};

function line(message: string, fields?: Fields) {
  return { message, function: functionName, ...fields };
}

/**
 * One metrics instance per function, configured by the Powertools environment variables the
 * template sets (service name, namespace); written as CloudWatch embedded metric format (EMF).
 * Traces come from Lambda and Step Functions themselves (`Tracing: Active`); the README says why
 * no tracing SDK is loaded here.
 */
export const metrics = new Metrics();

/** Counts one business event (OrderCreated, OrderShipped, OrdersRescued, ...). */
export function countEvent(name: string, count = 1): void {
  metrics.addMetric(name, MetricUnit.Count, count);
}
