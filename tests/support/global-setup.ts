import { join } from 'node:path';
import { startDynamoDb } from '../../local/dynamodb/endpoint';
import { buildApplication } from '../../local/lambda';
import { loadTemplate, ROOT } from '../../local/template';

/**
 * Once per test run: builds the functions and the layer as `sam build` does (every test that
 * runs a function runs these bundles, as Lambda would), and starts the DynamoDB endpoint every
 * test file shares (see local/dynamodb/endpoint.ts for which one). Both reach the test workers
 * through the environment.
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
  const build = await buildApplication(loadTemplate(), join(ROOT, '.local', 'test-build'));
  process.env.ORDERS_TEST_BUILD = JSON.stringify(build);
  const endpoint = await startDynamoDb({ useContainers: process.env.TEST_CONTAINERS !== 'off' });
  (globalThis as { dynamoDbEndpoint?: typeof endpoint }).dynamoDbEndpoint = endpoint;
  process.env.DYNAMODB_ENDPOINT = endpoint.url;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint.url;
  process.stdout.write(`\nDynamoDB for tests: ${endpoint.kind} at ${endpoint.url}\n`);
}
