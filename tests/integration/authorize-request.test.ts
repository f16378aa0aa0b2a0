import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { decodeJwt } from 'jose';
import { claimsAsStrings } from '../../local/apigateway/jwt-authorizer';
import {
  LOCAL_CLIENT_ID,
  loadOrCreateKeys,
  mintToken,
  startIssuer,
} from '../../local/cognito/issuer';

type Handler = typeof import('../../src/functions/authorize-request/index').handler;

const ROUTE_SCOPES = { 'GET /orders': ['orders/read'], 'POST /orders': ['orders/write'] };

/** The authorizer function, loaded fresh with the environment the template gives it. */
function loadHandler(issuer: string): Handler {
  let handler!: Handler;
  const saved = { ...process.env };
  Object.assign(process.env, {
    JWT_ISSUER: issuer,
    JWT_AUDIENCE: LOCAL_CLIENT_ID,
    ROUTE_SCOPES: JSON.stringify(ROUTE_SCOPES),
  });
  jest.isolateModules(() => {
    ({ handler } = require('../../src/functions/authorize-request/index'));
  });
  process.env = saved;
  return handler;
}

const event = (routeKey: string, authorization?: string) =>
  ({
    version: '2.0',
    type: 'REQUEST',
    routeKey,
    identitySource: authorization === undefined ? [] : [authorization],
  }) as unknown as APIGatewayRequestAuthorizerEventV2;

describe('authorize-request (the Lambda authorizer)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'authorize-request-'));
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let keys: Awaited<ReturnType<typeof loadOrCreateKeys>>;
  let handler: Handler;

  beforeAll(async () => {
    keys = await loadOrCreateKeys(join(stateDir, 'issuer-keys.json'));
    issuer = await startIssuer(keys);
    handler = loadHandler(issuer.issuer);
  });
  afterAll(async () => {
    await issuer.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const token = (scopes: string[]) =>
    mintToken(keys, { issuer: issuer.issuer, sub: 'alice', scopes });

  it("hands on the token's claims as the JWT authorizer does: every value a string", async () => {
    const valid = await token(['orders/read', 'orders/write']);
    const result = await handler(event('GET /orders', `Bearer ${valid}`));
    expect(result).toEqual({ isAuthorized: true, context: claimsAsStrings(decodeJwt(valid)) });
    expect(result.context).toMatchObject({ sub: 'alice', scope: 'orders/read orders/write' });
  });

  it('refuses a valid token without the route scope (403), and lets it through where it has one', async () => {
    const readOnly = await token(['orders/read']);
    expect(await handler(event('POST /orders', readOnly))).toEqual({
      isAuthorized: false,
      context: {},
    });
    expect((await handler(event('GET /orders', readOnly))).isAuthorized).toBe(true);
  });

  it('throws Unauthorized (401) for a token that fails a check, and for none', async () => {
    const valid = await token(['orders/read']);
    await expect(handler(event('GET /orders', `${valid}x`))).rejects.toThrow(/^Unauthorized$/);
    await expect(handler(event('GET /orders', 'Bearer '))).rejects.toThrow(/^Unauthorized$/);
    await expect(handler(event('GET /orders'))).rejects.toThrow(/^Unauthorized$/);
  });

  it('fails (500), never lets through, a route ROUTE_SCOPES does not list', async () => {
    const valid = await token(['orders/read', 'orders/write']);
    await expect(handler(event('DELETE /orders/{orderId}', valid))).rejects.toThrow(
      'ROUTE_SCOPES has no entry for DELETE /orders/{orderId}',
    );
  });

  it('fails (500) rather than answer 401 when the issuer cannot be reached', async () => {
    const unreachable = loadHandler('http://127.0.0.1:9');
    const valid = await token(['orders/read']);
    await expect(unreachable(event('GET /orders', valid))).rejects.not.toThrow(/^Unauthorized$/);
  });
});
