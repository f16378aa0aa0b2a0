import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { parseOrThrow, type Schema } from '../domain/validation';
import {
  AppError,
  isTransient,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors';
import { instrument } from './handler';
import { logger } from './observability';

/** Claims as API Gateway hands them over: every value a string. */
export type Claims = Record<string, string>;

/**
 * An HTTP API request (payload format 2.0) that passed the API's authorizer: the JWT authorizer
 * (claims in `authorizer.jwt.claims`) or the Lambda authorizer this project offers for
 * `sam local start-api` (the same claims as its context, in `authorizer.lambda`).
 */
export type HttpEvent =
  | APIGatewayProxyEventV2WithJWTAuthorizer
  | APIGatewayProxyEventV2WithLambdaAuthorizer<Claims>;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Seconds a client is asked to wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 2;

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

/** The verified claims of the caller's token, whichever authorizer checked it; {} without one. */
export function claimsOf(event: HttpEvent): Claims {
  const authorizer = event.requestContext.authorizer as
    | { jwt?: { claims?: Record<string, unknown> }; lambda?: Record<string, unknown> }
    | undefined;
  const claims = authorizer?.jwt?.claims ?? authorizer?.lambda ?? {};
  return Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, String(v)]));
}

/** The caller's id: the `sub` claim the authorizer verified. Never taken from the body. */
export function customerIdOf(event: HttpEvent): string {
  const sub = claimsOf(event).sub;
  if (sub === undefined || sub === '') throw new UnauthorizedError('Unauthorized');
  return sub;
}

/**
 * What a JSON body may be sent as: `application/json`, or a `+json` type (RFC 6839), with any
 * parameters (`charset=utf-8`). API Gateway passes any content type through to the function.
 */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * Parses the JSON body (base64 or not) against a schema. A request without a `content-type` is
 * read as JSON; one that says it is something else (a form, plain text) is refused.
 * @throws UnsupportedMediaTypeError (415) naming `content-type`
 * @throws ValidationError naming `body`, or every field at fault
 */
export function parseJsonBody<T>(event: HttpEvent, schema: Schema<T>): T {
  const contentType = event.headers?.['content-type'];
  if (contentType !== undefined && !JSON_MEDIA_TYPE.test(contentType.trim())) {
    throw new UnsupportedMediaTypeError([
      { field: 'content-type', message: 'must be application/json' },
    ]);
  }
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
  try {
    return parseOrThrow(schema, data);
  } catch (err: unknown) {
    // The body as a whole (`null`, an array) is named as the body, as a missing one is.
    if (!(err instanceof ValidationError)) throw err;
    throw new ValidationError(
      err.issues.map((i) => (i.field === '(root)' ? { ...i, field: 'body' } : i)),
    );
  }
}

/**
 * Maps an error to the answer the client sees: 4xx say what is wrong; a dependency that is down,
 * slow or throttling is a 503 with Retry-After; anything else is a bug, a 500 that says nothing
 * about the inside.
 */
export function errorResponse(err: unknown): HttpResult {
  if (err instanceof AppError && err.status < 500) {
    if (err.status === 401) return json(401, { message: 'Unauthorized' });
    return json(err.status, {
      message: err.message,
      ...(err instanceof ValidationError ? { errors: err.issues } : {}),
    });
  }
  if (isTransient(err)) {
    logger.warn('Dependency unavailable', { error: err as Error });
    return json(
      503,
      { message: 'Service unavailable, please retry' },
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
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
