import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

/**
 * The template declares AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SFN empty, so that
 * `sam local invoke --env-vars` can set them (SAM CLI passes only declared variables). That is
 * safe only because the SDK treats an empty value as unset (@smithy/core's getEndpointUrlConfig
 * checks the value's truthiness), which this pins for the SDK version the layer bundles.
 */
describe('the SDK with AWS_ENDPOINT_URL_DYNAMODB', () => {
  const saved = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  afterEach(() => {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
    else process.env.AWS_ENDPOINT_URL_DYNAMODB = saved;
  });

  /** Where a DynamoDB client created now sends its requests (nothing is sent). */
  async function endpointOfNewClient(): Promise<string> {
    let target = '';
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: {
        handle: async (request: { protocol: string; hostname: string; port?: number }) => {
          target = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}`;
          throw new Error('not sent');
        },
      },
    });
    await client.send(new ListTablesCommand({})).catch(() => undefined);
    client.destroy();
    return target;
  }

  it('declared but empty, leaves the client on the service endpoint', async () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = '';
    expect(await endpointOfNewClient()).toBe('https://dynamodb.us-east-1.amazonaws.com');
  });

  it('set, sends the client there (what --env-vars does locally)', async () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://host.docker.internal:8000';
    expect(await endpointOfNewClient()).toBe('http://host.docker.internal:8000');
  });
});
