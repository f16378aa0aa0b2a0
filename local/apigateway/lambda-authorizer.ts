import type { IncomingMessage } from 'node:http';
import { type AuthorizerContext, AuthorizerRefusal, type RouteAuthorizer } from './jwt-authorizer';

export interface LambdaAuthorizerConfig {
  /** The function to invoke (its name in the local Lambda service). */
  functionName: string;
  /**
   * Selection expressions: `$request.header.Authorization`, `$request.querystring.name`,
   * `$context.routeKey`, `$stageVariables.name`.
   */
  identitySources: string[];
  /** `authorizerPayloadFormatVersion`: only 2.0 runs here. */
  payloadFormatVersion: string;
  /** `enableSimpleResponses`: only simple responses (`isAuthorized`) run here. */
  simpleResponses: boolean;
  /** `authorizerResultTtlInSeconds`: 0 for no caching. */
  resultTtlSeconds: number;
  region: string;
  /** Invokes the function synchronously (Lambda's RequestResponse). */
  invoke(functionName: string, event: unknown): Promise<unknown>;
  now?: () => number;
}

/** What API Gateway keeps of an answer, by identity source values, for the TTL. */
interface CachedAnswer {
  isAuthorized: boolean;
  context: AuthorizerContext;
  expires: number;
}

/** A failure of the authorizer itself, which API Gateway answers with 500. */
export class AuthorizerFailureError extends Error {
  override name = 'AuthorizerFailureError';
}

/**
 * A Lambda REQUEST authorizer of an HTTP API, as API Gateway runs it for payload format 2.0 with
 * simple responses. https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
 *
 * - The identity sources must all be present and non-empty, or the request is refused with 401
 *   without invoking the function.
 * - The function receives the request as a payload 2.0 authorizer event (`type: REQUEST`,
 *   `routeArn`, `identitySource` with the sources' values, the route key, the request's headers,
 *   query string, path parameters and request context; no body).
 * - `isAuthorized: true` lets the request through with the function's `context` handed on as
 *   `requestContext.authorizer.lambda`; `false` is 403 Forbidden.
 * - The error `Unauthorized` is 401 Unauthorized, as API Gateway documents for Lambda authorizers
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html);
 *   any other error, a throttle, or an answer in another shape is 500 (AuthorizerFailureError).
 * - With a TTL, an answer (allow or deny) is kept for the identity source values that produced it
 *   and reused for every route of the authorizer: "API Gateway uses the authorizer's identity
 *   sources as the cache key" (same page, "Caching authorizer responses").
 */
export function lambdaAuthorizer(config: LambdaAuthorizerConfig): RouteAuthorizer {
  if (config.payloadFormatVersion !== '2.0' || !config.simpleResponses) {
    throw new Error(
      `${config.functionName}: only Lambda authorizers with payload format 2.0 and simple responses run locally`,
    );
  }
  const now = config.now ?? Date.now;
  const cache = new Map<string, CachedAnswer>();

  async function ask(event: Record<string, unknown>): Promise<CachedAnswer> {
    let result: unknown;
    try {
      result = await config.invoke(config.functionName, event);
    } catch (err: unknown) {
      if ((err as Error).message === 'Unauthorized') {
        throw new AuthorizerRefusal(401, `${config.functionName} answered Unauthorized`);
      }
      throw new AuthorizerFailureError(
        `${config.functionName} failed: ${(err as Error).name}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const answer = result as { isAuthorized?: unknown; context?: unknown } | null;
    const context = answer?.context ?? {};
    if (
      typeof answer?.isAuthorized !== 'boolean' ||
      typeof context !== 'object' ||
      context === null
    ) {
      throw new AuthorizerFailureError(
        `${config.functionName} answered ${JSON.stringify(result)}, not {isAuthorized, context}`,
      );
    }
    return {
      isAuthorized: answer.isAuthorized,
      context: context as AuthorizerContext,
      expires: now() + config.resultTtlSeconds * 1000,
    };
  }

  return {
    async authorize(_req: IncomingMessage, route, proxyEvent) {
      const request = proxyEvent() as unknown as RequestEvent;
      const values = config.identitySources.map((source) => identityValue(source, request));
      if (values.some((v) => v === undefined || v === '')) {
        throw new AuthorizerRefusal(401, 'identity source missing');
      }
      const key = JSON.stringify(values);
      let answer = config.resultTtlSeconds > 0 ? cache.get(key) : undefined;
      if (!answer || answer.expires <= now()) {
        answer = await ask(
          authorizerEvent(request, route.routeKey, values as string[], config.region),
        );
        if (config.resultTtlSeconds > 0) cache.set(key, answer);
      }
      if (!answer.isAuthorized) {
        throw new AuthorizerRefusal(403, `${config.functionName} answered isAuthorized: false`);
      }
      return {
        context: { lambda: answer.context },
        principal: String(answer.context.sub ?? ''),
      };
    },
  };
}

/** The parts of the route's payload 2.0 event an authorizer event is made of. */
interface RequestEvent {
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  pathParameters?: Record<string, string>;
  stageVariables?: Record<string, string>;
  requestContext: Record<string, unknown> & {
    accountId: string;
    apiId: string;
    stage: string;
    http: { method: string };
  };
}

/** The value of one identity source: header names are case-insensitive, query strings are not. */
function identityValue(source: string, request: RequestEvent): string | undefined {
  const [, kind, name] =
    /^\$(request\.header|request\.querystring|context|stageVariables)\.(.+)$/.exec(source) ?? [];
  if (!kind || !name) throw new Error(`Identity source ${source} is not supported locally`);
  if (kind === 'request.header') return request.headers[name.toLowerCase()];
  if (kind === 'request.querystring') return request.queryStringParameters?.[name];
  if (kind === 'stageVariables') return request.stageVariables?.[name];
  const value = request.requestContext[name];
  return value === undefined ? undefined : String(value);
}

/** The payload 2.0 authorizer event for a request. */
function authorizerEvent(
  request: RequestEvent,
  routeKey: string,
  values: string[],
  region: string,
) {
  const { accountId, apiId, stage, http } = request.requestContext;
  const { authorizer: _none, ...requestContext } = request.requestContext;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${region}:${accountId}:${apiId}/${stage}/${http.method}${request.rawPath}`,
    identitySource: values,
    routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(request.cookies ? { cookies: request.cookies } : {}),
    headers: request.headers,
    ...(request.queryStringParameters
      ? { queryStringParameters: request.queryStringParameters }
      : {}),
    requestContext,
    ...(request.pathParameters ? { pathParameters: request.pathParameters } : {}),
    ...(request.stageVariables ? { stageVariables: request.stageVariables } : {}),
  };
}
