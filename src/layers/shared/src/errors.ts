/**
 * The error family of the application. Each class sets `name`, so Step Functions sees it as the
 * Lambda `errorType` and the workflow's Retry/Catch can tell transient failures from permanent ones.
 */

/** One field at fault in a request: the path to it and what is wrong. */
export interface FieldIssue {
  field: string;
  message: string;
}

export abstract class AppError extends Error {
  /** HTTP status this error maps to when it reaches the API. */
  abstract readonly status: number;
}

/** The request is malformed: every field at fault is listed. */
export class ValidationError extends AppError {
  override readonly name: string = 'ValidationError';
  readonly status: number = 400;
  constructor(readonly issues: FieldIssue[]) {
    super(`Invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
  }
}

/** The body is sent as a media type other than JSON (415, naming `content-type`). */
export class UnsupportedMediaTypeError extends ValidationError {
  override readonly name = 'UnsupportedMediaTypeError';
  override readonly status = 415;
}

/** The request carries no identity (only reachable when the API has no authorizer). */
export class UnauthorizedError extends AppError {
  override readonly name = 'UnauthorizedError';
  readonly status = 401;
}

/** The resource does not exist, or belongs to someone else (never tell which). */
export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  readonly status = 404;
}

/** The request conflicts with an earlier one (an Idempotency-Key reused for another body). */
export class IdempotencyConflictError extends AppError {
  override readonly name = 'IdempotencyConflictError';
  readonly status = 422;
}

/** The order is in a state where this step cannot run; retrying will not help. */
export class InvalidOrderStateError extends AppError {
  override readonly name = 'InvalidOrderStateError';
  readonly status = 409;
}

/**
 * Stock of the SKU being backordered changed after the order was found short, so it may now be
 * reservable: the workflow catches this error name and processes the order again.
 */
export class StockChangedError extends AppError {
  override readonly name = 'StockChangedError';
  readonly status = 409;
}

/**
 * A dependency failed in a way that may pass (throttling, a timeout, a 5xx, a network error).
 * The API answers 503 with Retry-After; the workflow retries this error name with backoff; event
 * sources retry the record.
 */
export class TransientError extends AppError {
  override readonly name = 'TransientError';
  readonly status = 503;
}

/** Error names of AWS services that say "try again later". */
const TRANSIENT_AWS_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'TransactionConflictException',
  'TransactionInProgressException',
]);

/** Node.js network error codes of a dependency that cannot be reached. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** True when an error from the AWS SDK (or the network under it) is worth retrying. */
export function isTransient(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  // Duck-typed, not `instanceof Error`: errors from Node's own modules may come from another realm.
  if (typeof err !== 'object' || err === null) return false;
  const { name, code, $retryable, $metadata } = err as {
    name?: string;
    code?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  return (
    Boolean($retryable) ||
    ($metadata?.httpStatusCode ?? 0) >= 500 ||
    TRANSIENT_AWS_ERRORS.has(name ?? '') ||
    TRANSIENT_NETWORK_CODES.has(code ?? '')
  );
}

/**
 * Runs a workflow step and rethrows transient dependency failures as `TransientError`, so the
 * state machine's Retry can name one error for them. Other errors pass through unchanged.
 */
export async function classifyErrors<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err: unknown) {
    if (isTransient(err) && !(err instanceof TransientError)) {
      throw new TransientError(String((err as { message?: unknown }).message), { cause: err });
    }
    throw err;
  }
}
