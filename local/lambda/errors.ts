/**
 * A function error, as Lambda answers a synchronous invocation that failed: HTTP 200 with
 * `X-Amz-Function-Error: Unhandled` and a payload `{ errorType, errorMessage, trace }`
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). Step Functions' lambda:invoke
 * task takes `errorType` as the error name its Retry and Catch match; so does `name` here, which
 * is what the local workflow reads. The types the local service itself reports:
 *
 * - `Sandbox.Timedout`, `RequestId: <id> Error: Task timed out after 10.00 seconds`: a timeout
 *   (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html#troubleshooting-timeouts).
 *   `States.Timeout` is a different error: the Task state's own TimeoutSeconds, never Lambda's.
 * - `Runtime.ExitError`, `RequestId: <id> Error: Runtime exited with error: exit status 1`: the
 *   environment's process ended during the invocation (`... without providing a reason` for 0).
 * - `Runtime.OutOfMemory`, `RequestId: <id> Error: Runtime exited with error: signal: killed`.
 * - init failures as the Node.js runtime reports them: `Runtime.ImportModuleError`,
 *   `Runtime.HandlerNotFound`, `Runtime.UserCodeSyntaxError`, or whatever the code threw.
 */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly trace: string[] = [],
  ) {
    super(message);
    this.name = errorType;
  }

  /** The invocation's response payload, as Lambda returns it. */
  toPayload() {
    return { errorType: this.errorType, errorMessage: this.message, trace: this.trace };
  }
}

/** Why Lambda throttled: the function's reserved concurrency, or the account's unreserved pool. */
export type ThrottleReason =
  | 'ReservedFunctionConcurrentInvocationLimitExceeded'
  | 'ConcurrentInvocationLimitExceeded';

/**
 * An invocation refused because the function is at its concurrency limit: HTTP 429 with
 * `{"Reason":"…","Type":"User","message":"Rate Exceeded."}`
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html,
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). Nothing ran. Each caller
 * decides what a throttle means (the gateway, the event source mappings and the workflow differ);
 * Step Functions, for one, names it `Lambda.TooManyRequestsException`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 */
export class TooManyRequestsException extends Error {
  override readonly name = 'TooManyRequestsException';
  readonly statusCode = 429;
  readonly type = 'User';

  constructor(
    readonly reason: ThrottleReason,
    readonly functionName: string,
  ) {
    super('Rate Exceeded.');
  }

  toJSON() {
    return { Reason: this.reason, Type: this.type, message: this.message };
  }
}

/** Lambda's answer to an invocation of a function it does not have (HTTP 404). */
export class ResourceNotFoundException extends Error {
  override readonly name = 'ResourceNotFoundException';
  readonly statusCode = 404;

  constructor(functionArn: string) {
    super(`Function not found: ${functionArn}`);
  }
}

/** The most a synchronous (RequestResponse) invocation's request payload may hold, in bytes. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * An invocation refused because its payload is over the quota: 6 MB for a synchronous
 * invocation's request (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html),
 * HTTP 413 with Lambda's own wording; nothing ran. API Gateway takes it as a failed integration
 * (500): a body between 6 and 10 MB passes the API's limit and still never reaches the function.
 */
export class RequestTooLargeException extends Error {
  override readonly name = 'RequestTooLargeException';
  readonly statusCode = 413;

  constructor(bytes: number) {
    super(
      `${bytes} byte payload is too large for the RequestResponse invocation type (${MAX_SYNC_PAYLOAD_BYTES})`,
    );
  }
}
