import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import {
  bearerToken,
  claimsAsStrings,
  hasRouteScope,
  InvalidTokenError,
  type StringClaims,
  tokenVerifier,
} from './token';

// This function loads no layer module: it runs before every request of the API, and the layer's
// core (Powertools, zod) would multiply its cold start. Its few variables are read here, once.
function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is required but not set`);
  }
  return value;
}

const verify = tokenVerifier({
  issuer: requireEnv('JWT_ISSUER'),
  audiences: requireEnv('JWT_AUDIENCE').split(','),
});
/** Each route's scopes by route key (`GET /orders`), the routes' AuthorizationScopes. */
const routeScopes = JSON.parse(requireEnv('ROUTE_SCOPES')) as Record<string, string[]>;

type Result = APIGatewaySimpleAuthorizerWithContextResult<StringClaims>;

/**
 * Lambda REQUEST authorizer (payload 2.0, simple responses) for the HTTP API, answering as its JWT
 * authorizer does: a token that fails a check is refused with 401 (the error `Unauthorized`, which
 * API Gateway turns into `401 {"message":"Unauthorized"}`), a valid token without the route's scope
 * with 403 (`isAuthorized: false`), and a valid one is let through with its claims, as strings, as
 * the context the function reads (`requestContext.authorizer.lambda`).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
 */
export const handler = async (event: APIGatewayRequestAuthorizerEventV2): Promise<Result> => {
  const scopes = routeScopes[event.routeKey];
  if (scopes === undefined) {
    // A route the template gives this authorizer but ROUTE_SCOPES does not list: a deployment
    // mistake, refused (API Gateway answers 500), never let through.
    throw new Error(`ROUTE_SCOPES has no entry for ${event.routeKey}`);
  }
  try {
    const claims = await verify(bearerToken(event.identitySource?.[0]));
    if (!hasRouteScope(claims, scopes)) return { isAuthorized: false, context: {} };
    return { isAuthorized: true, context: claimsAsStrings(claims) };
  } catch (err: unknown) {
    if (!(err instanceof InvalidTokenError)) throw err;
    console.info(`Refused ${event.routeKey}: ${err.message}`);
    throw new Error('Unauthorized');
  }
};
