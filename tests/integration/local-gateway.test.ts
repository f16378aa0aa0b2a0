import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpApi } from '../../local/apigateway/http-api';
import { jwtAuthorizer } from '../../local/apigateway/jwt-authorizer';
import { loadOrCreateKeys, mintToken, startIssuer } from '../../local/cognito/issuer';
import { TooManyRequestsException } from '../../local/lambda';

type Event = {
  headers: Record<string, string>;
  body?: string;
  isBase64Encoded: boolean;
  queryStringParameters?: Record<string, string>;
};

/** Sends raw HTTP (repeated headers, no Content-Type, big bodies), which fetch would tidy up. */
function send(
  url: string,
  {
    method = 'POST',
    path = '/things',
    headers = [] as Array<[string, string]>,
    body,
  }: {
    method?: string;
    path?: string;
    headers?: Array<[string, string]>;
    body?: Buffer | string;
  },
) {
  // A header given twice is sent as two header lines.
  const lines: Record<string, string[]> = Object.create(null);
  for (const [name, value] of headers) lines[name] = [...(lines[name] ?? []), value];
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers: lines }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The local HTTP API against API Gateway's documented behaviour for HTTP APIs with payload 2.0:
 * which bodies arrive base64-encoded, how repeated headers and query parameters are joined, the
 * 10 MB payload limit, and the answers for a throttled or failing function.
 */
describe('local HTTP API (payload format 2.0)', () => {
  const events: Event[] = [];
  let fail: Error | undefined;
  let api: Awaited<ReturnType<typeof startHttpApi>>;
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let token: string;
  let keys: Awaited<ReturnType<typeof loadOrCreateKeys>>;

  beforeAll(async () => {
    keys = await loadOrCreateKeys(join(mkdtempSync(join(tmpdir(), 'gw-')), 'keys.json'));
    issuer = await startIssuer(keys);
    token = await mintToken(keys, {
      issuer: issuer.issuer,
      sub: 'alice',
      scopes: ['things/write'],
    });
    const authorizer = jwtAuthorizer({
      issuer: issuer.issuer,
      audience: ['orders-local-client'],
      identitySource: '$request.header.Authorization',
    });
    api = await startHttpApi({
      apiId: 'test',
      routes: [
        { method: 'POST', path: '/things', functionId: 'Fn', scopes: [] },
        {
          method: 'POST',
          path: '/secured',
          functionId: 'Fn',
          scopes: ['things/write'],
          authorizer,
        },
      ],
      async invoke(_id, event) {
        if (fail) throw fail;
        events.push(event as Event);
        return { statusCode: 200, body: '{}' };
      },
      log: () => {},
    });
  });
  afterAll(async () => {
    await api.close();
    await issuer.close();
  });

  const last = () => events[events.length - 1] as Event;

  it.each([
    ['application/json', false],
    ['application/json; charset=utf-8', false],
    ['text/plain', false],
    ['application/xml', false],
    ['application/x-www-form-urlencoded', true],
    ['application/octet-stream', true],
    [undefined, true],
  ])('hands a %s body over base64-encoded: %s', async (contentType, base64) => {
    const body = 'a=1&b=two';
    const answer = await send(api.url, {
      headers: contentType ? [['content-type', contentType]] : [],
      body,
    });
    expect(answer).toMatchObject({ status: 200 });

    expect(last().isBase64Encoded).toBe(base64);
    expect(last().body).toBe(base64 ? Buffer.from(body).toString('base64') : body);
  });

  it('joins repeated headers and query parameters with commas, no spaces', async () => {
    await send(api.url, {
      path: '/things?tag=a&tag=b',
      headers: [
        ['x-thing', 'one'],
        ['x-thing', 'two'],
      ],
    });

    expect(last().headers['x-thing']).toBe('one,two');
    expect(last().queryStringParameters).toEqual({ tag: 'a,b' });
  });

  it('passes query parameters and headers named like Object properties as data', async () => {
    await send(api.url, {
      path: '/things?__proto__=1&constructor=2',
      headers: [['constructor', 'c']],
    });

    expect(Object.entries(last().queryStringParameters ?? {})).toEqual([
      ['__proto__', '1'],
      ['constructor', '2'],
    ]);
    expect(last().headers.constructor).toBe('c');
  });

  it('refuses a body over 10 MB with 413 and takes one of 7 MB', async () => {
    const before = events.length;
    const big = await send(api.url, {
      headers: [['content-type', 'application/json']],
      body: Buffer.alloc(11 * 1024 * 1024, 32),
    });
    const fine = await send(api.url, {
      headers: [['content-type', 'application/json']],
      body: Buffer.alloc(7 * 1024 * 1024, 32),
    });

    expect(big).toEqual({ status: 413, body: '{"message":"Request Entity Too Large"}' });
    expect(fine.status).toBe(200);
    expect(events.length).toBe(before + 1);
  });

  it('answers 503 when the function is throttled and 500 when it fails', async () => {
    fail = new TooManyRequestsException('ConcurrentInvocationLimitExceeded', 'Fn');
    const throttled = await send(api.url, {});
    fail = Object.assign(new Error('Task timed out after 10.00 seconds'), {
      name: 'Sandbox.Timedout',
    });
    const failed = await send(api.url, {});
    fail = undefined;

    expect(throttled).toEqual({ status: 503, body: '{"message":"Service Unavailable"}' });
    expect(failed).toEqual({ status: 500, body: '{"message":"Internal Server Error"}' });
  });

  it('refuses a real token with characters appended to its signature', async () => {
    const ok = await send(api.url, {
      path: '/secured',
      headers: [['authorization', `Bearer ${token}`]],
    });
    const padded = await send(api.url, {
      path: '/secured',
      headers: [['authorization', `Bearer ${token}==`]],
    });

    expect(ok.status).toBe(200);
    expect(padded).toEqual({ status: 401, body: '{"message":"Unauthorized"}' });
  });

  it('refuses a token it let through before, once the token has expired', async () => {
    const shortLived = await mintToken(keys, {
      issuer: issuer.issuer,
      sub: 'bob',
      scopes: ['things/write'],
      expiresIn: 2,
    });
    const headers: Array<[string, string]> = [['authorization', `Bearer ${shortLived}`]];
    const before = await send(api.url, { path: '/secured', headers });

    await new Promise((resolve) => setTimeout(resolve, 3100));
    const after = await send(api.url, { path: '/secured', headers });

    expect(before.status).toBe(200);
    expect(after).toEqual({ status: 401, body: '{"message":"Unauthorized"}' });
  });
});
