import { createHmac, createSecretKey } from 'node:crypto';
import { type RunningStack, startStack, Tokens } from './local-stack';

/**
 * The API's authorizer through HTTP only, with the answers API Gateway gives, for both the
 * template's authorizers: the JWT authorizer (what deploys) and the Lambda authorizer
 * (AuthorizeRequestFunction, what `sam local start-api` runs), which must answer every case
 * with the same status and body.
 */
describe.each([
  { authorizer: 'JWT authorizer', args: [] as string[], challenge: true },
  { authorizer: 'Lambda authorizer', args: ['--authorizer', 'lambda'], challenge: false },
])('local HTTP API: $authorizer', ({ args, challenge }) => {
  let stack: RunningStack;
  let tokens: Tokens;

  beforeAll(async () => {
    stack = await startStack(['--no-seed', ...args]);
    tokens = new Tokens(stack.stateDir, stack.info.issuer, stack.info.audience);
  }, 90_000);
  afterAll(() => stack.stop());

  const listOrders = (authorization?: string) =>
    fetch(`${stack.info.apiUrl}/orders`, {
      headers: authorization === undefined ? {} : { authorization },
    });

  /** 401 `{"message":"Unauthorized"}`; the JWT authorizer adds a `www-authenticate` challenge. */
  async function expectUnauthorized(authorization?: string) {
    const response = await listOrders(authorization);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    const header = response.headers.get('www-authenticate');
    if (challenge) expect(header).toMatch(/^Bearer/);
    else expect(header).toBeNull();
    return header;
  }

  const claims = (overrides: Record<string, unknown> = {}) =>
    tokens.claims('alice', ['orders/read'], overrides);
  const now = () => Math.floor(Date.now() / 1000);
  const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('lets a valid token through, with or without "Bearer ", and hands the function its claims', async () => {
    const token = tokens.for('alice');
    // 200 from list-orders: it found the caller's `sub` among the claims the authorizer handed on.
    expect((await listOrders(`Bearer ${token}`)).status).toBe(200);
    expect((await listOrders(token)).status).toBe(200);
  });

  it('answers 401 without a token', async () => {
    const header = await expectUnauthorized();
    if (challenge) expect(header).toBe('Bearer');
  });

  it('answers 401 for an expired token', async () => {
    const header = await expectUnauthorized(`Bearer ${tokens.sign(claims({ exp: now() - 60 }))}`);
    if (challenge) expect(header).toContain('error="invalid_token"');
  });

  it('answers 401 for a token not valid yet (nbf in the future)', async () => {
    await expectUnauthorized(`Bearer ${tokens.sign(claims({ nbf: now() + 600 }))}`);
  });

  it('answers 401 for a token from another issuer', async () => {
    await expectUnauthorized(`Bearer ${tokens.sign(claims({ iss: 'https://evil.example.com' }))}`);
  });

  it('answers 401 for a token for another audience (aud, or client_id without aud)', async () => {
    await expectUnauthorized(`Bearer ${tokens.sign(claims({ aud: 'other-app' }))}`);
    await expectUnauthorized(`Bearer ${tokens.sign(claims({ client_id: 'other-app' }))}`);
  });

  it('accepts an aud claim that names the API audience', async () => {
    const token = tokens.sign(claims({ aud: stack.info.audience, client_id: undefined }));
    expect((await listOrders(`Bearer ${token}`)).status).toBe(200);
  });

  it('answers 401 for an unknown kid, and for a token signed with another key', async () => {
    await expectUnauthorized(`Bearer ${tokens.sign(claims(), { kid: 'no-such-key' })}`);
    await expectUnauthorized(`Bearer ${tokens.sign(claims(), {}, Tokens.otherKey())}`);
  });

  it('answers 401 for alg "none"', async () => {
    await expectUnauthorized(
      `Bearer ${segment({ alg: 'none', typ: 'JWT' })}.${segment(claims())}.`,
    );
  });

  it('answers 401 for HS256 signed with the public key as the secret', async () => {
    const jwks = (await (await fetch(`${stack.info.issuer}/.well-known/jwks.json`)).json()) as {
      keys: Array<Record<string, string>>;
    };
    const head = segment({ alg: 'HS256', typ: 'JWT', kid: tokens.kid });
    const body = segment(claims());
    const signature = createHmac(
      'sha256',
      createSecretKey(Buffer.from(JSON.stringify(jwks.keys[0]))),
    )
      .update(`${head}.${body}`)
      .digest('base64url');
    await expectUnauthorized(`Bearer ${head}.${body}.${signature}`);
  });

  it('answers 401 for a tampered payload', async () => {
    const [head, , signature] = tokens.for('alice').split('.');
    const forged = segment(tokens.claims('mallory', ['orders/read', 'orders/write']));
    await expectUnauthorized(`Bearer ${head}.${forged}.${signature}`);
  });

  it('answers 401 for a signature with base64 padding appended (not a compact JWS)', async () => {
    await expectUnauthorized(`Bearer ${tokens.for('alice')}==`);
  });

  it('answers 403 Forbidden when the token lacks the route scope', async () => {
    const readOnly = tokens.for('alice', ['orders/read']);
    const response = await fetch(`${stack.info.apiUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readOnly}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
    if (challenge) expect(response.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  it('answers CORS preflights without a token, for the allowed origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.info.apiUrl}/orders`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight('http://localhost:3000');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('idempotency-key');

    const other = await preflight('https://evil.example.com');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 404 for a route the API does not have', async () => {
    const response = await fetch(`${stack.info.apiUrl}/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });
});
