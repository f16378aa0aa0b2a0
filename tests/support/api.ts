import type { HttpEvent } from '@orders/shared';
import type { App } from './app';
import { sampleEvent } from './fixtures';

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
  const event = sampleEvent<
    HttpEvent & { requestContext: { authorizer: { jwt: { claims: Record<string, string> } } } }
  >(sample);
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

/** Invokes an HTTP API function (its built bundle) and parses its JSON answer. */
export async function call(app: App, functionId: string, event: HttpEvent) {
  const result = await app.invoke(functionId, event);
  return {
    status: result.statusCode as number,
    headers: (result.headers ?? {}) as Record<string, string>,
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
