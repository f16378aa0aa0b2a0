import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../net';
import { type AuthorizerContext, AuthorizerRefusal, type RouteAuthorizer } from './jwt-authorizer';

/** One route of the HTTP API, from a function's `HttpApi` event in the template. */
export interface HttpRoute {
  method: string;
  /** `/orders/{orderId}` */
  path: string;
  functionId: string;
  /** The authorizer guarding the route, or undefined when the route opts out. */
  authorizer?: RouteAuthorizer;
  scopes: string[];
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
  /** Invokes a function synchronously; rejects with Lambda's error (a throttle is `TooManyRequestsException`). */
  invoke(functionId: string, event: unknown): Promise<unknown>;
  log(line: string): void;
  port?: number;
  host?: string;
}

/**
 * The largest request HTTP APIs accept: 10 MB.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
 */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * The content types whose bodies HTTP APIs hand to a Lambda function as text; every other body,
 * including one without a Content-Type and `application/x-www-form-urlencoded`, arrives
 * base64-encoded with `isBase64Encoded: true`. The docs say only "if the content type is binary";
 * this split was measured against API Gateway (ministackorg/ministack#766).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
const TEXT_TYPES = /^(text\/[^;]+|application\/(json|xml|javascript))\s*(;|$)/i;

class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The HTTP API (payload format 2.0) as API Gateway runs it, for the routes of the template:
 * CORS preflights answered by the gateway, default route throttling, the route's authorizer, the
 * Lambda proxy event, and the gateway's own error answers (404, 413, 429, 500, 503).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export async function startHttpApi(options: HttpApiOptions) {
  const routes = options.routes.map((route) => ({
    ...route,
    routeKey: `${route.method} ${route.path}`,
    pattern: new RegExp(
      `^${route.path.replace(/\{(\w+)\+\}/g, '(?<$1>.+)').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`,
    ),
  }));
  const bucket = {
    tokens: options.throttling?.burstLimit ?? Number.POSITIVE_INFINITY,
    at: Date.now(),
  };

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

  /** Token bucket: `burstLimit` requests at once, refilled at `rateLimit` per second. */
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

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_PAYLOAD_BYTES) throw new GatewayError(413, 'Request Entity Too Large');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_PAYLOAD_BYTES) throw new GatewayError(413, 'Request Entity Too Large');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const line = (status: number, detail: string) =>
      options.log(
        `${req.method} ${url.pathname}${url.search} → ${status} (${detail}, ${Date.now() - started} ms)`,
      );
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
    if (!match) {
      send(404, { message: 'Not Found' });
      return line(404, 'no route');
    }
    if (throttled()) {
      send(429, { message: 'Too Many Requests' });
      return line(429, 'throttled by the route settings');
    }
    const { route } = match;

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err: unknown) {
      if (!(err instanceof GatewayError)) throw err;
      req.resume();
      send(err.status, { message: err.message }, { connection: 'close' });
      return line(err.status, err.message);
    }
    const event = proxyEvent(req, url, route, match.params, body);

    let principal: string | undefined;
    if (route.authorizer) {
      try {
        const granted = await route.authorizer.authorize(req, route, () => event);
        event.requestContext.authorizer = granted.context;
        principal = granted.principal;
      } catch (err: unknown) {
        if (!(err instanceof AuthorizerRefusal)) throw err;
        const message = err.status === 401 ? 'Unauthorized' : 'Forbidden';
        send(err.status, { message }, err.challenge ? { 'www-authenticate': err.challenge } : {});
        return line(err.status, `authorizer: ${err.reason}`);
      }
    }
    const who = principal ? `, sub=${principal}` : '';

    try {
      const result = await options.invoke(route.functionId, event);
      const status = respond(res, result, cors(req));
      line(status, `${route.functionId}${who}`);
    } catch (err: unknown) {
      const { name, message } = err as Error;
      // A throttled function (429 from Lambda) is a 503 to the client; any other failure of the
      // integration (a crash, a timeout, a bad answer) is a 500.
      const status = name === 'TooManyRequestsException' ? 503 : 500;
      send(status, { message: status === 503 ? 'Service Unavailable' : 'Internal Server Error' });
      line(status, `${route.functionId} failed: ${name}: ${message}${who}`);
    }
  }

  function proxyEvent(
    req: IncomingMessage,
    url: URL,
    route: (typeof routes)[number],
    pathParameters: Record<string, string>,
    body: Buffer,
  ) {
    // Repeated headers are joined with commas, no space: "value1,value2".
    // Null-prototype records: a header or parameter named `__proto__` or `constructor` is data.
    const headers: Record<string, string> = Object.create(null);
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = String(req.rawHeaders[i]).toLowerCase();
      const value = String(req.rawHeaders[i + 1]);
      if (name === 'cookie') continue;
      headers[name] = name in headers ? `${headers[name]},${value}` : value;
    }
    const query: Record<string, string> = Object.create(null);
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    const cookies = req.headers.cookie?.split(';').map((c) => c.trim());
    const text = TEXT_TYPES.test(String(req.headers['content-type'] ?? ''));
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
        authorizer: undefined as AuthorizerContext | undefined,
        domainName: headers.host ?? 'localhost',
        domainPrefix: (headers.host ?? 'localhost').split('.')[0],
        http: {
          method: req.method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
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
      if (req.destroyed || (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
        // The client went away before its request was read: nobody to answer.
        options.log(
          `${req.method} ${req.url}: the client closed the connection (${(err as Error).message})`,
        );
        return;
      }
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
