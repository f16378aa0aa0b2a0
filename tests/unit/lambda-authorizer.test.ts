import type { IncomingMessage } from 'node:http';
import { AuthorizerRefusal } from '../../local/apigateway/jwt-authorizer';
import {
  AuthorizerFailureError,
  type LambdaAuthorizerConfig,
  lambdaAuthorizer,
} from '../../local/apigateway/lambda-authorizer';

/** The route's payload 2.0 event, as the local HTTP API builds it. */
const request = (routeKey: string, headers: Record<string, string>) => ({
  version: '2.0',
  routeKey,
  rawPath: '/orders',
  rawQueryString: 'limit=5',
  headers,
  queryStringParameters: { limit: '5' },
  requestContext: {
    accountId: '000000000000',
    apiId: 'OrdersApi',
    authorizer: undefined,
    http: { method: routeKey.split(' ')[0] },
    routeKey,
    stage: '$default',
  },
  body: '{"secret":"the body is not for the authorizer"}',
  isBase64Encoded: false,
});

describe('local Lambda authorizer (payload 2.0, simple responses)', () => {
  let answers: Array<unknown | Error>;
  let events: Array<Record<string, unknown>>;
  let clock: number;

  const authorizer = (overrides: Partial<LambdaAuthorizerConfig> = {}) =>
    lambdaAuthorizer({
      functionName: 'AuthorizeRequestFunction',
      identitySources: ['$request.header.Authorization'],
      payloadFormatVersion: '2.0',
      simpleResponses: true,
      resultTtlSeconds: 0,
      region: 'us-east-1',
      now: () => clock,
      invoke: async (_name, event) => {
        events.push(event as Record<string, unknown>);
        const answer = answers.shift();
        if (answer instanceof Error) throw answer;
        return answer;
      },
      ...overrides,
    });

  const authorize = (a: ReturnType<typeof lambdaAuthorizer>, routeKey: string, headers = {}) =>
    a.authorize({} as IncomingMessage, { routeKey, scopes: [] }, () => request(routeKey, headers));

  beforeEach(() => {
    answers = [];
    events = [];
    clock = 1_000_000;
  });

  it('refuses with 401, without invoking the function, when an identity source is missing', async () => {
    const refusal = authorize(authorizer(), 'GET /orders');
    await expect(refusal).rejects.toBeInstanceOf(AuthorizerRefusal);
    await expect(refusal).rejects.toMatchObject({ status: 401 });
    expect(events).toEqual([]);
  });

  it("sends the request as an authorizer event, and hands the function's context on", async () => {
    answers.push({ isAuthorized: true, context: { sub: 'alice' } });
    const granted = await authorize(authorizer(), 'GET /orders', { authorization: 'Bearer t' });
    expect(granted).toEqual({ context: { lambda: { sub: 'alice' } }, principal: 'alice' });
    expect(events[0]).toMatchObject({
      version: '2.0',
      type: 'REQUEST',
      routeArn: 'arn:aws:execute-api:us-east-1:000000000000:OrdersApi/$default/GET/orders',
      identitySource: ['Bearer t'],
      routeKey: 'GET /orders',
      headers: { authorization: 'Bearer t' },
      queryStringParameters: { limit: '5' },
    });
    expect(events[0]).not.toHaveProperty('body');
    expect(events[0]?.requestContext).not.toHaveProperty('authorizer');
  });

  it.each([
    { what: 'isAuthorized: false', answer: { isAuthorized: false }, status: 403 },
    { what: 'the error Unauthorized', answer: new Error('Unauthorized'), status: 401 },
  ])('refuses $what with $status', async ({ answer, status }) => {
    answers.push(answer);
    const refusal = authorize(authorizer(), 'GET /orders', { authorization: 't' });
    await expect(refusal).rejects.toMatchObject({ status });
  });

  it.each([
    { what: 'another error', answer: new Error('Task timed out after 10.00 seconds') },
    { what: 'an answer in another shape', answer: { allow: true } },
  ])('fails (500) on $what', async ({ answer }) => {
    answers.push(answer);
    await expect(
      authorize(authorizer(), 'GET /orders', { authorization: 't' }),
    ).rejects.toBeInstanceOf(AuthorizerFailureError);
  });

  it('asks the function for every request without a TTL', async () => {
    answers.push({ isAuthorized: true }, { isAuthorized: false });
    const a = authorizer();
    await authorize(a, 'GET /orders', { authorization: 't' });
    await expect(authorize(a, 'GET /orders', { authorization: 't' })).rejects.toMatchObject({
      status: 403,
    });
    expect(events).toHaveLength(2);
  });

  it('with a TTL, reuses an answer for the same identity source values, on any route, until it expires', async () => {
    answers.push({ isAuthorized: true, context: { sub: 'alice' } }, { isAuthorized: false });
    const a = authorizer({ resultTtlSeconds: 300 });
    await authorize(a, 'GET /orders', { authorization: 't' });
    await authorize(a, 'POST /orders', { authorization: 't' });
    expect(events).toHaveLength(1);
    clock += 300_000;
    await expect(authorize(a, 'POST /orders', { authorization: 't' })).rejects.toMatchObject({
      status: 403,
    });
    expect(events).toHaveLength(2);
  });

  it('with the route key among the identity sources, caches per route', async () => {
    answers.push({ isAuthorized: true }, { isAuthorized: false });
    const a = authorizer({
      resultTtlSeconds: 300,
      identitySources: ['$request.header.Authorization', '$context.routeKey'],
    });
    await authorize(a, 'GET /orders', { authorization: 't' });
    await expect(authorize(a, 'POST /orders', { authorization: 't' })).rejects.toMatchObject({
      status: 403,
    });
    expect(events.map((e) => e.identitySource)).toEqual([
      ['t', 'GET /orders'],
      ['t', 'POST /orders'],
    ]);
  });
});
