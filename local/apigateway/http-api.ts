import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { listen } from './net';

/** One route of the HTTP API, from a function's `HttpApi` event in the template. */
export interface HttpRoute {
  method: string;
  /** `/orders/{orderId}` */
  path: string;
  functionId: string;
  /** The JWT authorizer guarding the route, or undefined when the route opts out. */
  authorizer?: JwtAuthorizer;
  scopes: string[];
}

export interface JwtAuthorizer {
  issuer: string;
  audience: string[];
  /** `$request.header.Authorization` */
  identitySource: string;
}

export interface CorsConfiguration {
  AllowOrigins?: string[];
  AllowMethods?: string[];
  AllowHeaders?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
  AllowCredentials?: boolean;
}

export interface HttpApiOptions {
  apiId: string;
  routes: HttpRoute[];
  cors?: CorsConfiguration;
  throttling?: { rateLimit: number; burstLimit: number };
  invoke(functionId: string, event: unknown): Promise<unknown>;
  log(line: string): void;
  port?: number;
  host?: string;
}

type Claims = JWTPayload & Record<string, unknown>;

class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly challenge: string,
  ) {
    super(challenge);
  }
}

const TEXT_TYPES =
  /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|.*\+json|.*\+xml)/i;

/**
 * The HTTP API (payload format 2.0) as API Gateway runs it, for the routes of the template:
 * CORS preflights answered by the gateway, default route throttling, the JWT authorizer, the
 * Lambda proxy event, and the gateway's own error answers.
 */
export async function startHttpApi(options: HttpApiOptions) {
  const routes = options.routes.map((route) => ({
    ...route,
    routeKey: `${route.method} ${route.path}`,
    pattern: new RegExp(
      `^${route.path.replace(/\{(\w+)\+\}/g, '(?<$1>.+)').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`,
    ),
  }));
  const jwksByIssuer = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  const bucket = {
    tokens: options.throttling?.burstLimit ?? Number.POSITIVE_INFINITY,
    at: Date.now(),
  };

  async function jwks(issuer: string) {
    let set = jwksByIssuer.get(issuer);
    if (!set) {
      // API Gateway finds the keys through the issuer's OpenID Connect discovery document.
      const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
      const { jwks_uri } = (await discovery.json()) as { jwks_uri: string };
      set = createRemoteJWKSet(new URL(jwks_uri));
      jwksByIssuer.set(issuer, set);
    }
    return set;
  }

  /** Validates the token as API Gateway's JWT authorizer does; returns its claims and scopes. */
  async function authorize(req: IncomingMessage, route: (typeof routes)[number]) {
    const authorizer = route.authorizer as JwtAuthorizer;
    const header = authorizer.identitySource.replace(/^\$request\.header\./, '').toLowerCase();
    const raw = req.headers[header];
    const token = (Array.isArray(raw) ? raw[0] : raw)?.replace(/^Bearer\s+/i, '').trim();
    if (!token) throw new AuthError(401, 'Bearer');
    let claims: Claims;
    try {
      ({ payload: claims } = await jwtVerify(token, await jwks(authorizer.issuer), {
        issuer: authorizer.issuer,
        algorithms: ['RS256'],
      }));
    } catch (err: unknown) {
      throw invalid(describe(err));
    }
    // `aud` when the token has one, otherwise `client_id` (Cognito access tokens).
    const audiences = claims.aud === undefined ? [claims.client_id] : [claims.aud].flat();
    if (!audiences.some((a) => authorizer.audience.includes(String(a)))) {
      throw invalid('invalid audience');
    }
    const scopes = tokenScopes(claims);
    if (route.scopes.length > 0 && !route.scopes.some((s) => scopes.includes(s))) {
      throw new AuthError(
        403,
        `Bearer scope="${route.scopes.join(' ')}" error="insufficient_scope" error_description="expected scopes: [${route.scopes.join(' ')}]"`,
      );
    }
    return { claims, scopes };
  }

  function cors(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    const config = options.cors;
    if (!origin || !config) return {};
    const allowed = config.AllowOrigins ?? [];
    if (!allowed.includes('*') && !allowed.includes(origin)) return {};
    return {
      'access-control-allow-origin': allowed.includes('*') ? '*' : origin,
      ...(config.ExposeHeaders
        ? { 'access-control-expose-headers': config.ExposeHeaders.join(',') }
        : {}),
      ...(config.AllowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
    };
  }

  function preflight(req: IncomingMessage, res: ServerResponse): boolean {
    const config = options.cors;
    if (!config || req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) {
      return false;
    }
    const headers = cors(req);
    if (headers['access-control-allow-origin']) {
      Object.assign(headers, {
        'access-control-allow-methods': (config.AllowMethods ?? []).join(','),
        'access-control-allow-headers': (config.AllowHeaders ?? []).join(','),
        ...(config.MaxAge !== undefined ? { 'access-control-max-age': String(config.MaxAge) } : {}),
      });
    }
    res.writeHead(204, headers).end();
    return true;
  }

  function throttled(): boolean {
    const limits = options.throttling;
    if (!limits) return false;
    const now = Date.now();
    bucket.tokens = Math.min(
      limits.burstLimit,
      bucket.tokens + ((now - bucket.at) / 1000) * limits.rateLimit,
    );
    bucket.at = now;
    if (bucket.tokens < 1) return true;
    bucket.tokens -= 1;
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...cors(req), ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (preflight(req, res)) return;
    const match = routes
      .filter((r) => r.method === req.method || r.method === 'ANY')
      .map((r) => ({ route: r, found: r.pattern.exec(url.pathname) }))
      .filter((m) => m.found !== null)
      .map((m) => ({ route: m.route, params: { ...m.found?.groups } }))
      .sort((a, b) => Object.keys(a.params).length - Object.keys(b.params).length)[0];
    if (!match) return send(404, { message: 'Not Found' });
    if (throttled()) return send(429, { message: 'Too Many Requests' });

    const { route } = match;
    let auth: Awaited<ReturnType<typeof authorize>> | undefined;
    if (route.authorizer) {
      try {
        auth = await authorize(req, route);
      } catch (err: unknown) {
        if (!(err instanceof AuthError)) throw err;
        options.log(`${req.method} ${url.pathname} → ${err.status} (authorizer)`);
        const message = err.status === 401 ? 'Unauthorized' : 'Forbidden';
        return send(err.status, { message }, { 'www-authenticate': err.challenge });
      }
    }

    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const event = proxyEvent(req, url, route, match.params ?? {}, Buffer.concat(chunks), auth);
    let status: number;
    try {
      const result = await options.invoke(route.functionId, event);
      status = respond(res, result, cors(req));
    } catch (err: unknown) {
      options.log(`${route.functionId} failed: ${(err as Error).name}: ${(err as Error).message}`);
      status = 500;
      send(500, { message: 'Internal Server Error' });
    }
    const who = auth ? `, sub=${auth.claims.sub}` : '';
    options.log(
      `${req.method} ${url.pathname}${url.search} → ${status} (${route.functionId}, ${Date.now() - started} ms${who})`,
    );
  }

  function proxyEvent(
    req: IncomingMessage,
    url: URL,
    route: (typeof routes)[number],
    pathParameters: Record<string, string>,
    body: Buffer,
    auth?: Awaited<ReturnType<typeof authorize>>,
  ) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && name !== 'cookie') {
        headers[name] = Array.isArray(value) ? value.join(',') : value;
      }
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    const cookies = req.headers.cookie?.split(';').map((c) => c.trim());
    const text = TEXT_TYPES.test(String(req.headers['content-type'] ?? 'text/plain'));
    const now = new Date();
    return {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      ...(cookies ? { cookies } : {}),
      headers,
      ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
      ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: options.apiId,
        ...(auth
          ? { authorizer: { jwt: { claims: claimsAsStrings(auth.claims), scopes: auth.scopes } } }
          : {}),
        domainName: headers.host ?? 'localhost',
        domainPrefix: (headers.host ?? 'localhost').split('.')[0],
        http: {
          method: req.method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: crypto.randomUUID(),
        routeKey: route.routeKey,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      ...(body.length ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !text,
    };
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.log(`HTTP API error: ${(err as Error).stack}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal Server Error' }));
    });
  });
  const url = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1', 'HTTP API');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function invalid(description: string) {
  return new AuthError(
    401,
    `Bearer scope="" error="invalid_token" error_description="${description}"`,
  );
}

function describe(err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'ERR_JWT_EXPIRED') return 'the token has expired';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return String((err as Error).message);
  if (code === 'ERR_JWKS_NO_MATCHING_KEY') return 'signing key not found';
  return 'the token is not valid';
}

/** The token's scopes, from `scope` (space-separated) or `scp` (list or string). */
function tokenScopes(claims: Claims): string[] {
  const raw = claims.scope ?? claims.scp;
  if (Array.isArray(raw)) return raw.map(String);
  return typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
}

/** API Gateway hands claims to the function as strings; lists become `[a b]`. */
function claimsAsStrings(claims: Claims): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [
      k,
      Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v),
    ]),
  );
}

/** Maps a payload 2.0 function result to the HTTP answer, as API Gateway does. */
function respond(
  res: ServerResponse,
  result: unknown,
  corsHeaders: Record<string, string>,
): number {
  const structured =
    result !== null && typeof result === 'object' && 'statusCode' in (result as object);
  if (!structured) {
    res.writeHead(200, { 'content-type': 'application/json', ...corsHeaders });
    res.end(typeof result === 'string' ? result : JSON.stringify(result ?? null));
    return 200;
  }
  const {
    statusCode,
    headers = {},
    body,
    isBase64Encoded,
    cookies,
  } = result as {
    statusCode: number;
    headers?: Record<string, string>;
    body?: string;
    isBase64Encoded?: boolean;
    cookies?: string[];
  };
  res.writeHead(statusCode, {
    ...headers,
    ...corsHeaders,
    ...(cookies?.length ? { 'set-cookie': cookies } : {}),
  });
  res.end(body === undefined ? undefined : Buffer.from(body, isBase64Encoded ? 'base64' : 'utf8'));
  return statusCode;
}
