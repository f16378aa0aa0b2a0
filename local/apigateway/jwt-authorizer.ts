import type { IncomingMessage } from 'node:http';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';

/** A refusal by an authorizer: the status API Gateway answers with, and why (for the log). */
export class AuthorizerRefusal extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly reason: string,
    /** The `www-authenticate` header a JWT authorizer adds. */
    readonly challenge?: string,
  ) {
    super(reason);
  }
}

export interface JwtAuthorizerConfig {
  issuer: string;
  audience: string[];
  /** `$request.header.Authorization` */
  identitySource: string;
}

/** What an authorizer hands the function in `requestContext.authorizer`. */
export type AuthorizerContext = Record<string, unknown>;

/** What a route needs from any authorizer: check the request, or refuse it. */
export interface RouteAuthorizer {
  authorize(
    req: IncomingMessage,
    route: { routeKey: string; scopes: string[] },
    event: () => Record<string, unknown>,
  ): Promise<{ context: AuthorizerContext; principal: string }>;
}

type Claims = JWTPayload & Record<string, unknown>;

/** A compact JWS: three base64url segments, nothing else (no padding, no stray characters). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * API Gateway's JWT authorizer for HTTP APIs: the token from the identity source (with or without
 * `Bearer `), its signature checked against the issuer's JWKS (found through OpenID discovery),
 * `iss`, `exp`, `nbf`, then `aud` or, without one, `client_id` against the audiences, then the
 * route's scopes (`scope` or `scp`): a missing scope is 403, anything else 401.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
 * Only RS256 is accepted (what the user pool and the local issuer sign with).
 */
export function jwtAuthorizer(config: JwtAuthorizerConfig): RouteAuthorizer {
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  /** The issuer's keys, discovered once (concurrent first requests share the one discovery). */
  function keySet() {
    jwks ??= (async () => {
      const discovery = await fetch(`${config.issuer}/.well-known/openid-configuration`);
      const { jwks_uri } = (await discovery.json()) as { jwks_uri: string };
      // A busy laptop can take seconds to answer under a burst: wait rather than refuse a token.
      return createRemoteJWKSet(new URL(jwks_uri), { timeoutDuration: 30_000 });
    })().catch((err: unknown) => {
      jwks = undefined;
      throw err;
    });
    return jwks;
  }

  return {
    async authorize(req, route) {
      const header = config.identitySource.replace(/^\$request\.header\./, '').toLowerCase();
      const raw = req.headers[header];
      const token = (Array.isArray(raw) ? raw[0] : raw)?.replace(/^Bearer\s+/i, '').trim();
      if (!token) throw new AuthorizerRefusal(401, 'no token', 'Bearer');
      if (!COMPACT_JWS.test(token)) throw invalid('the token is not a well-formed JWT');
      let claims: Claims;
      try {
        ({ payload: claims } = await jwtVerify(token, await keySet(), {
          issuer: config.issuer,
          algorithms: ['RS256'],
        }));
      } catch (err: unknown) {
        throw invalid(describe(err));
      }
      const audiences = claims.aud === undefined ? [claims.client_id] : [claims.aud].flat();
      if (!audiences.some((a) => config.audience.includes(String(a)))) {
        throw invalid('invalid audience');
      }
      const scopes = tokenScopes(claims);
      if (route.scopes.length > 0 && !route.scopes.some((s) => scopes.includes(s))) {
        const wanted = route.scopes.join(' ');
        throw new AuthorizerRefusal(
          403,
          `missing scope ${wanted}`,
          `Bearer scope="${wanted}" error="insufficient_scope" error_description="expected scopes: [${wanted}]"`,
        );
      }
      return {
        context: { jwt: { claims: claimsAsStrings(claims), scopes } },
        principal: String(claims.sub),
      };
    },
  };
}

function invalid(description: string) {
  return new AuthorizerRefusal(
    401,
    description,
    `Bearer scope="" error="invalid_token" error_description="${description}"`,
  );
}

function describe(err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'ERR_JWT_EXPIRED') return 'the token has expired';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return String((err as Error).message);
  if (code === 'ERR_JWKS_NO_MATCHING_KEY') return 'signing key not found';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'signature verification failed';
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'signing algorithm not allowed';
  return 'the token is not valid';
}

/** The token's scopes, from `scope` (space-separated) or `scp` (list or string). */
export function tokenScopes(claims: Record<string, unknown>): string[] {
  const raw = claims.scope ?? claims.scp;
  if (Array.isArray(raw)) return raw.map(String);
  return typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
}

/** API Gateway hands claims to the function as strings; lists become `[a b]`. */
export function claimsAsStrings(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [
      k,
      Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v),
    ]),
  );
}
