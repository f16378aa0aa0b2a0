import type { DynamoDbEndpoint } from '../../local/dynamodb';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { dynamoDbEndpoint?: DynamoDbEndpoint }).dynamoDbEndpoint?.stop();
}
