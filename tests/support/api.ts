import type { HttpEvent, HttpResult } from '@orders/shared';
import { lambdaContext, sampleEvent } from './fixtures';

export type HttpHandler = (
  event: HttpEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<HttpResult>;

/** An HTTP API request for `customerId`, built on the sample event of the route. */
export function apiEvent(
  sample: 'create-order' | 'get-order' | 'list-orders',
  customerId: string,
  changes: {
    body?: unknown;
    headers?: Record<string, string>;
    pathParameters?: Record<string, string>;
    queryStringParameters?: Record<string, string>;
  } = {},
): HttpEvent {
  const event = sampleEvent<HttpEvent>(sample);
  event.requestContext.authorizer.jwt.claims.sub = customerId;
  // The sample carries an Idempotency-Key; requests built here have one only when given.
  delete event.headers['idempotency-key'];
  if (changes.body !== undefined) {
    event.body = typeof changes.body === 'string' ? changes.body : JSON.stringify(changes.body);
  }
  if (changes.headers) event.headers = { ...event.headers, ...changes.headers };
  if (changes.pathParameters) event.pathParameters = changes.pathParameters;
  if (changes.queryStringParameters) event.queryStringParameters = changes.queryStringParameters;
  return event;
}

/** Calls an HTTP handler and parses its JSON answer. */
export async function call(handler: HttpHandler, event: HttpEvent) {
  const result = await handler(event, lambdaContext());
  return {
    status: result.statusCode,
    headers: result.headers ?? {},
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
    body: JSON.parse(String(result.body)) as any,
  };
}

/** A valid order body. */
export function orderBody(items: Array<{ sku: string; quantity: number }>) {
  return {
    items,
    shippingAddress: {
      name: 'Ada Lovelace',
      line1: '12 Analytical Row',
      city: 'London',
      postalCode: 'N1 9GU',
      country: 'GB',
    },
  };
}
