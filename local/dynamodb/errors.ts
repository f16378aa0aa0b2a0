/**
 * DynamoDB's error answers: an HTTP status and a JSON body whose `__type` ends in the exception
 * name, which is what the AWS SDKs turn into the named exception class.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 */

const DYNAMODB = 'com.amazonaws.dynamodb.v20120810';
const NAMESPACES: Record<string, string> = {
  ValidationException: 'com.amazon.coral.validate',
  SerializationException: 'com.amazon.coral.service',
  ThrottlingException: 'com.amazon.coral.availability',
};

/** An error answered to the client as DynamoDB answers it. */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    /** Further members of the body (CancellationReasons, Item, ThrottlingReasons). */
    readonly members: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = type;
  }

  body(): Record<string, unknown> {
    // TransactionCanceledException and TransactionInProgressException model `Message`, the others
    // `message` (the SDK's models say which; it reads either into the error's message).
    const messageKey = this.type.startsWith('Transaction') ? 'Message' : 'message';
    return {
      __type: `${NAMESPACES[this.type] ?? DYNAMODB}#${this.type}`,
      ...this.members,
      [messageKey]: this.message,
    };
  }
}

export const validationError = (message: string) => new AwsError('ValidationException', message);

export const notFound = (message = 'Requested resource not found') =>
  new AwsError('ResourceNotFoundException', message);

/** An error dynalite answered (statusCode and body), as an AwsError. */
export function fromDynalite(err: {
  statusCode?: number;
  body?: { __type?: string; message?: string; Message?: string };
  message?: string;
}): AwsError {
  const type = String(err.body?.__type ?? 'InternalServerError').split('#')[1] ?? 'InternalFailure';
  return new AwsError(
    type,
    err.body?.message ?? err.body?.Message ?? err.message ?? '',
    err.statusCode ?? 500,
  );
}
