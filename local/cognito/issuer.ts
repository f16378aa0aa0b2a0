import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { listen } from '../net';

/** The local issuer's signing key: an RSA key pair made at first start and kept on disk. */
interface IssuerKeys {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export const LOCAL_CLIENT_ID = 'orders-local-client';

/** Where a running `npm run issuer` tells `npm run token` its name (in its state directory). */
export const ISSUER_FILE = 'issuer.json';

export async function loadOrCreateKeys(path: string): Promise<IssuerKeys> {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as IssuerKeys;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `local-${crypto.randomUUID().slice(0, 8)}`;
  const keys: IssuerKeys = {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

export interface TokenRequest {
  issuer: string;
  sub: string;
  scopes: string[];
  /** Seconds until expiry (default one hour). */
  expiresIn?: number;
  clientId?: string;
}

/**
 * Signs an access token shaped like a Cognito user pool's: no `aud`, the app client in
 * `client_id`, the scopes space-separated in `scope`.
 */
export async function mintToken(keys: IssuerKeys, request: TokenRequest): Promise<string> {
  const key = await importJWK(keys.privateJwk, 'RS256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    client_id: request.clientId ?? LOCAL_CLIENT_ID,
    token_use: 'access',
    scope: request.scopes.join(' '),
    username: request.sub,
  })
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' })
    .setIssuer(request.issuer)
    .setSubject(request.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + (request.expiresIn ?? 3600))
    .setJti(crypto.randomUUID())
    .sign(key);
}

/**
 * A minimal OpenID Connect issuer on localhost: the discovery document and the JWKS, which is
 * what API Gateway's JWT authorizer reads from an issuer. Tokens are minted by `npm run token`.
 * `publicUrl` names the issuer (in the tokens and the documents) where its clients reach it at
 * another address than the one it listens on, as SAM CLI's containers do through the Docker host.
 */
export async function startIssuer(
  keys: IssuerKeys,
  port = 0,
  host = '127.0.0.1',
  publicUrl?: (listening: string) => string,
) {
  let issuer = '';
  const server = createServer((req, res) => {
    const documents: Record<string, unknown> = {
      '/.well-known/openid-configuration': {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      },
      '/.well-known/jwks.json': { keys: [keys.publicJwk] },
    };
    const body = documents[req.url ?? ''];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { message: 'Not Found' }));
  });
  const listening = await listen(server, port, host, 'local token issuer');
  issuer = publicUrl ? publicUrl(listening) : listening;
  return {
    issuer,
    listening,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
