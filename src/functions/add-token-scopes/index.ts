import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';

/**
 * Cognito pre token generation trigger (event version 2): grants every signed-in customer the
 * `orders/read` and `orders/write` scopes in the access token, so a token from a plain
 * USER_PASSWORD_AUTH sign-in passes the API's route scopes. Only deployed with the template's own
 * user pool; an external issuer decides scopes itself.
 * https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html
 */
export const handler = async (
  event: PreTokenGenerationV2TriggerEvent,
): Promise<PreTokenGenerationV2TriggerEvent> => {
  event.response = {
    claimsAndScopeOverrideDetails: {
      accessTokenGeneration: { scopesToAdd: ['orders/read', 'orders/write'] },
    },
  };
  return event;
};
