import { startDynamoDb } from '../../local/dynamodb';

/**
 * Starts the DynamoDB endpoint every test file shares (see local/dynamodb.ts for which one) and
 * hands its URL to the test workers through the environment, where the AWS SDK reads it.
 */
export default async function globalSetup(): Promise<void> {
  const endpoint = await startDynamoDb({ useContainers: process.env.TEST_CONTAINERS !== 'off' });
  (globalThis as { dynamoDbEndpoint?: typeof endpoint }).dynamoDbEndpoint = endpoint;
  process.env.DYNAMODB_ENDPOINT = endpoint.url;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint.url;
  process.stdout.write(`\nDynamoDB for tests: ${endpoint.kind} at ${endpoint.url}\n`);
}
