import { startDynamoDb } from '../../local/dynamodb/endpoint';

/**
 * Starts the DynamoDB endpoint every test file shares (see local/dynamodb.ts for which one) and
 * hands its URL to the test workers through the environment, where the AWS SDK reads it.
 */
export default async function globalSetup(): Promise<void> {
  // The tests run on the Lambda runtime's Node.js major (the `node` dev dependency; npm scripts
  // put it first on PATH), whatever the machine's own Node.js is.
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 24) {
    throw new Error(
      `Tests need Node.js 24 (nodejs24.x), not ${process.version}: run them with npm test`,
    );
  }
  const endpoint = await startDynamoDb({ useContainers: process.env.TEST_CONTAINERS !== 'off' });
  (globalThis as { dynamoDbEndpoint?: typeof endpoint }).dynamoDbEndpoint = endpoint;
  process.env.DYNAMODB_ENDPOINT = endpoint.url;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint.url;
  process.stdout.write(`\nDynamoDB for tests: ${endpoint.kind} at ${endpoint.url}\n`);
}
