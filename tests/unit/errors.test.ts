import {
  classifyErrors,
  InvalidOrderStateError,
  isTransient,
  NotFoundError,
  TransientError,
  ValidationError,
} from '../../src/layers/shared/src/errors';
import { errorResponse } from '../../src/layers/shared/src/runtime/http';

function awsError(name: string, httpStatusCode: number) {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
}

describe('isTransient', () => {
  it('treats throttling and 5xx answers as transient', () => {
    expect(isTransient(awsError('ProvisionedThroughputExceededException', 400))).toBe(true);
    expect(isTransient(awsError('ThrottlingException', 400))).toBe(true);
    expect(isTransient(awsError('InternalServerError', 500))).toBe(true);
    expect(isTransient(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
  });

  it('treats client mistakes and domain errors as permanent', () => {
    expect(isTransient(awsError('ValidationException', 400))).toBe(false);
    expect(isTransient(new NotFoundError('gone'))).toBe(false);
    expect(isTransient('not an error')).toBe(false);
  });
});

describe('classifyErrors', () => {
  it('rethrows a transient failure as TransientError, keeping the cause', async () => {
    const cause = awsError('ThrottlingException', 400);
    const err = await classifyErrors(() => Promise.reject(cause)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).name).toBe('TransientError');
    expect((err as TransientError).cause).toBe(cause);
  });

  it('passes permanent errors through unchanged', async () => {
    const permanent = new InvalidOrderStateError('no');
    await expect(classifyErrors(() => Promise.reject(permanent))).rejects.toBe(permanent);
  });
});

describe('errorResponse', () => {
  // What the function logs, in Lambda's JSON log format: the object passed to console.
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    error = jest.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => jest.restoreAllMocks());

  it('lists the fields of a validation error', () => {
    const response = errorResponse(new ValidationError([{ field: 'items', message: 'bad' }]));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body as string)).toEqual({
      message: 'Invalid request: items: bad',
      errors: [{ field: 'items', message: 'bad' }],
    });
  });

  it('answers 503 with Retry-After when a dependency is down, slow or throttling', () => {
    for (const err of [
      new TransientError('throttled'),
      awsError('ThrottlingException', 400),
      awsError('ServiceUnavailable', 503),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('timeout'), { name: 'TimeoutError' }),
    ]) {
      const response = errorResponse(err);
      expect(response.statusCode).toBe(503);
      expect(response.headers?.['retry-after']).toBe('2');
      expect(JSON.parse(response.body as string)).toEqual({
        message: 'Service unavailable, please retry',
      });
      expect(warn).toHaveBeenLastCalledWith(
        expect.objectContaining({ message: 'Dependency unavailable', error: err }),
      );
    }
  });

  it('says nothing about unexpected errors', () => {
    const response = errorResponse(new Error('connection string postgres://secret'));
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret');
    // The log keeps what the answer leaves out.
    expect(error).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'Request failed', error: expect.any(Error) }),
    );
  });
});
