import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { z } from 'zod';
import { parseOrThrow } from '../domain/order';
import { AppError, UnauthorizedError, ValidationError } from '../errors';
import { instrument } from './handler';
import { logger } from './observability';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** A JSON response. */
export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** The caller's id: the `sub` claim the JWT authorizer verified. Never taken from the body. */
export function customerIdOf(event: HttpEvent): string {
  const sub = event.requestContext.authorizer?.jwt?.claims?.sub;
  if (typeof sub !== 'string' || sub === '') throw new UnauthorizedError('Unauthorized');
  return sub;
}

/** Parses the JSON body (base64 or not) against a schema; a bad body is a 400 naming fields. */
export function parseJsonBody<T>(event: HttpEvent, schema: z.ZodType<T>): T {
  if (!event.body) throw new ValidationError([{ field: 'body', message: 'is required' }]);
  const text = event.isBase64Encoded
    ? Buffer.from(event.body, 'base64').toString('utf8')
    : event.body;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ValidationError([{ field: 'body', message: 'must be valid JSON' }]);
  }
  return parseOrThrow(schema, data);
}

/** Maps an error to the answer the client sees: 4xx say what is wrong, 5xx say nothing inside. */
export function errorResponse(err: unknown): HttpResult {
  if (err instanceof AppError && err.status < 500) {
    if (err.status === 401) return json(401, { message: 'Unauthorized' });
    return json(err.status, {
      message: err.message,
      ...(err instanceof ValidationError ? { errors: err.issues } : {}),
    });
  }
  logger.error('Request failed', { error: err as Error });
  return json(500, { message: 'Internal server error' });
}

/** Wraps an HTTP API handler: instrumentation plus the error mapping above. */
export function httpHandler(
  handle: (event: HttpEvent, context: Context) => Promise<HttpResult>,
): (event: HttpEvent, context: Context) => Promise<HttpResult> {
  return instrument(async (event: HttpEvent, context: Context) => {
    try {
      return await handle(event, context);
    } catch (err: unknown) {
      return errorResponse(err);
    }
  });
}
