import type { DynamoDbEndpoint } from '../../local/dynamodb/endpoint';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { dynamoDbEndpoint?: DynamoDbEndpoint }).dynamoDbEndpoint?.stop();
}
