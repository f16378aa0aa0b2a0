import { createSecretKey } from 'node:crypto';
import { type RunningStack, startStack, Tokens } from './local-stack';

/** The JWT authorizer, through HTTP only, with the answers API Gateway gives. */
describe('local HTTP API: JWT authorizer', () => {
  let stack: RunningStack;
  let tokens: Tokens;

  beforeAll(async () => {
    stack = await startStack(['--no-seed']);
    tokens = new Tokens(stack.stateDir, stack.info.issuer, stack.info.audience);
  }, 90_000);
  afterAll(() => stack.stop());

  const listOrders = (authorization?: string) =>
    fetch(`${stack.info.apiUrl}/orders`, {
      headers: authorization === undefined ? {} : { authorization },
    });

  async function expectUnauthorized(authorization?: string) {
    const response = await listOrders(authorization);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    return response.headers.get('www-authenticate');
  }

  it('lets a valid token through, with or without "Bearer "', async () => {
    const token = tokens.for('alice');
    expect((await listOrders(`Bearer ${token}`)).status).toBe(200);
    expect((await listOrders(token)).status).toBe(200);
  });

  it('answers 401 without a token', async () => {
    expect(await expectUnauthorized()).toBe('Bearer');
  });

  it('answers 401 for an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = tokens.sign(tokens.claims('alice', ['orders/read'], { exp: now - 60 }));
    expect(await expectUnauthorized(`Bearer ${token}`)).toContain('error="invalid_token"');
  });

  it('answers 401 for a token not valid yet (nbf in the future)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = tokens.sign(tokens.claims('alice', ['orders/read'], { nbf: now + 600 }));
    await expectUnauthorized(`Bearer ${token}`);
  });

  it('answers 401 for a token from another issuer', async () => {
    const token = tokens.sign(
      tokens.claims('alice', ['orders/read'], { iss: 'https://evil.example.com' }),
    );
    await expectUnauthorized(`Bearer ${token}`);
  });

  it('answers 401 for a token for another audience (aud, or client_id without aud)', async () => {
    const withAud = tokens.sign(tokens.claims('alice', ['orders/read'], { aud: 'other-app' }));
    const withClient = tokens.sign(
      tokens.claims('alice', ['orders/read'], { client_id: 'other-app' }),
    );
    await expectUnauthorized(`Bearer ${withAud}`);
    await expectUnauthorized(`Bearer ${withClient}`);
  });

  it('accepts an aud claim that names the API audience', async () => {
    const token = tokens.sign(
      tokens.claims('alice', ['orders/read'], { aud: stack.info.audience, client_id: undefined }),
    );
    expect((await listOrders(`Bearer ${token}`)).status).toBe(200);
  });

  it('answers 401 for an unknown kid, and for a token signed with another key', async () => {
    const claims = tokens.claims('alice', ['orders/read']);
    await expectUnauthorized(`Bearer ${tokens.sign(claims, { kid: 'no-such-key' })}`);
    await expectUnauthorized(`Bearer ${tokens.sign(claims, {}, Tokens.otherKey())}`);
  });

  it('answers 401 for alg "none"', async () => {
    const head = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify(tokens.claims('alice', ['orders/read']))).toString(
      'base64url',
    );
    await expectUnauthorized(`Bearer ${head}.${body}.`);
  });

  it('answers 401 for HS256 signed with the public key as the secret', async () => {
    const jwks = (await (await fetch(`${stack.info.issuer}/.well-known/jwks.json`)).json()) as {
      keys: Array<Record<string, string>>;
    };
    const publicJwk = JSON.stringify(jwks.keys[0]);
    const head = Buffer.from(
      JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: tokens.kid }),
    ).toString('base64url');
    const body = Buffer.from(JSON.stringify(tokens.claims('alice', ['orders/read']))).toString(
      'base64url',
    );
    const { createHmac } = await import('node:crypto');
    const signature = createHmac('sha256', createSecretKey(Buffer.from(publicJwk)))
      .update(`${head}.${body}`)
      .digest('base64url');
    await expectUnauthorized(`Bearer ${head}.${body}.${signature}`);
  });

  it('answers 401 for a tampered payload', async () => {
    const [head, , signature] = tokens.for('alice').split('.');
    const forged = Buffer.from(
      JSON.stringify(tokens.claims('mallory', ['orders/read', 'orders/write'])),
    ).toString('base64url');
    await expectUnauthorized(`Bearer ${head}.${forged}.${signature}`);
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
    expect(response.headers.get('www-authenticate')).toContain('insufficient_scope');
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
