import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';

/** The token is missing, malformed, or fails a check: the caller is not authenticated (401). */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** What a token is checked against: the API's JWT authorizer configuration. */
export interface TokenPolicy {
  /** `iss` must equal it; its OpenID discovery document names the JWKS. */
  issuer: string;
  /** `aud`, or `client_id` when the token has no `aud`, must be one of them. */
  audiences: string[];
}

/** Claims as API Gateway's JWT authorizer hands them to a function: every value a string. */
export type StringClaims = Record<string, string>;

/** A compact JWS: three base64url segments and nothing else (no padding, no stray characters). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** jose's codes for a token that fails verification; any other failure is ours, not the caller's. */
const TOKEN_PROBLEMS = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);

/** The token of an `Authorization` value, with or without `Bearer ` (as API Gateway accepts it). */
export function bearerToken(value: string | undefined): string {
  const token = value?.replace(/^Bearer\s+/i, '').trim();
  if (!token) throw new InvalidTokenError('no token');
  return token;
}

/**
 * Verifies access tokens as API Gateway's JWT authorizer does: the signature with the issuer's
 * JWKS (found through OpenID discovery, fetched once, refetched for an unknown `kid`), RS256 only,
 * `iss`, `exp` and `nbf`, then `aud` or, without one, `client_id`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
 * @throws InvalidTokenError for a token that fails any check; anything else (the issuer cannot be
 * reached, its discovery document is not valid) is thrown as it is
 */
export function tokenVerifier(policy: TokenPolicy) {
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  async function discoverKeys() {
    const url = `${policy.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    const { issuer, jwks_uri } = (await response.json()) as {
      issuer?: unknown;
      jwks_uri?: unknown;
    };
    if (issuer !== policy.issuer || typeof jwks_uri !== 'string') {
      throw new Error(`${url} is not the discovery document of ${policy.issuer}`);
    }
    return createRemoteJWKSet(new URL(jwks_uri));
  }

  return async function verify(token: string): Promise<JWTPayload> {
    if (!COMPACT_JWS.test(token)) throw new InvalidTokenError('not a well-formed JWT');
    keys ??= discoverKeys().catch((err: unknown) => {
      keys = undefined; // the next request tries again
      throw err;
    });
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, await keys, {
        issuer: policy.issuer,
        algorithms: ['RS256'],
      }));
    } catch (err: unknown) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && TOKEN_PROBLEMS.has(code)) {
        throw new InvalidTokenError((err as Error).message, { cause: err });
      }
      throw err;
    }
    const audiences = claims.aud === undefined ? [claims.client_id] : [claims.aud].flat();
    if (!audiences.some((a) => policy.audiences.includes(String(a)))) {
      throw new InvalidTokenError('invalid audience');
    }
    return claims;
  };
}

/** The token's scopes, from `scope` (space-separated) or `scp` (a list or a string). */
export function tokenScopes(claims: JWTPayload): string[] {
  const raw = claims.scope ?? claims.scp;
  if (Array.isArray(raw)) return raw.map(String);
  return typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
}

/** True when the route needs no scope or the token has one of the route's scopes (as API Gateway). */
export function hasRouteScope(claims: JWTPayload, routeScopes: string[]): boolean {
  const scopes = tokenScopes(claims);
  return routeScopes.length === 0 || routeScopes.some((s) => scopes.includes(s));
}

/** Claims as strings, as API Gateway's JWT authorizer hands them on: a list becomes `[a b]`. */
export function claimsAsStrings(claims: JWTPayload): StringClaims {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [
      k,
      Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v),
    ]),
  );
}
