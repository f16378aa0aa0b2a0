import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '@orders/shared';

let documentClient: DynamoDBDocumentClient | undefined;

/**
 * The DynamoDB document client, created once per execution environment. The endpoint comes from
 * the SDK's own configuration (for example AWS_ENDPOINT_URL_DYNAMODB), so the same code talks to
 * AWS, DynamoDB Local or the local stack without a branch.
 */
export function dynamoDb(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}
