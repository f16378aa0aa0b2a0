import { setTimeout as sleep } from 'node:timers/promises';
import {
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-dynamodb-streams';
import {
  clientConfig,
  createTable,
  type LocalDynamoDbFixture,
  startFixture,
  stopFixture,
} from './local-dynamodb-fixtures';

type SdkError = Error & {
  $fault?: string;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number; attempts?: number };
  ThrottlingReasons?: Array<{ reason?: string; resource?: string }>;
};

// Errors as DynamoDB answers them, and what the SDK retries:
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
describe('local DynamoDB: fault injection', () => {
  let ddb: LocalDynamoDbFixture;
  let table: string;
  const item = (pk: string) => ({ TableName: table, Item: { pk: { S: pk } } });

  beforeAll(async () => {
    ddb = await startFixture();
    table = (await createTable(ddb.client)).name;
  });
  afterAll(() => stopFixture(ddb));
  afterEach(() => ddb.service.faults.clear());

  async function failure(promise: Promise<unknown>): Promise<SdkError> {
    try {
      await promise;
    } catch (err: unknown) {
      return err as SdkError;
    }
    throw new Error('expected the call to fail');
  }

  it('unavailable: 503 ServiceUnavailable, a server fault the SDK retries, then recovery', async () => {
    await ddb.service.faults.inject({ mode: 'unavailable', seconds: 1 });

    const once = await failure(ddb.once.send(new PutItemCommand(item('a'))));
    expect(once.name).toBe('ServiceUnavailable');
    expect(once.$fault).toBe('server');
    expect(once.$metadata?.httpStatusCode).toBe(503);
    const retried = await failure(ddb.client.send(new PutItemCommand(item('a'))));
    // The SDK retried it as many times as it is configured to (a transient 5xx error).
    expect(retried.$metadata?.attempts).toBe(await ddb.client.config.maxAttempts());
    expect(retried.$metadata?.attempts).toBeGreaterThan(1);
    // The Streams API is another endpoint in AWS: it keeps answering.
    await expect(ddb.streams.send(new ListStreamsCommand({}))).resolves.toBeDefined();

    await sleep(1100);
    await expect(ddb.once.send(new PutItemCommand(item('a')))).resolves.toBeDefined();
  });

  it('unavailable with status 500: InternalServerError', async () => {
    await ddb.service.faults.inject({ mode: 'unavailable', seconds: 5, status: 500 });
    const err = await failure(
      ddb.once.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' } } })),
    );
    expect(err.name).toBe('InternalServerError');
    expect(err.$fault).toBe('server');
    expect(err.$metadata?.httpStatusCode).toBe(500);
  });

  it('throttle: 400 ProvisionedThroughputExceededException with ThrottlingReasons, a throttling error', async () => {
    await ddb.service.faults.inject({ mode: 'throttle', seconds: 5 });
    const err = await failure(ddb.once.send(new PutItemCommand(item('t'))));
    expect(err).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(err.$fault).toBe('client');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(err.ThrottlingReasons).toEqual([
      {
        reason: 'TableWriteKeyRangeThroughputExceeded',
        resource: `arn:aws:dynamodb:us-east-1:000000000000:table/${table}`,
      },
    ]);
  });

  it('throttle as ThrottlingException', async () => {
    await ddb.service.faults.inject({ mode: 'throttle', seconds: 5, error: 'ThrottlingException' });
    const err = await failure(ddb.once.send(new PutItemCommand(item('t'))));
    expect(err).toBeInstanceOf(ThrottlingException);
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it('throttle half the calls: the SDK retries them and every call succeeds', async () => {
    await ddb.service.faults.inject({ mode: 'throttle', seconds: 30, fraction: 0.5 });
    const attempts: number[] = [];
    for (let i = 0; i < 6; i++) {
      const out = await ddb.client.send(new PutItemCommand(item(`half-${i}`)));
      attempts.push(out.$metadata.attempts ?? 1);
    }
    // Every second call is throttled: each is answered by its first or second attempt.
    expect(attempts.every((a) => a <= 2)).toBe(true);
    expect(attempts.some((a) => a === 2)).toBe(true);
  });

  it('restricts a fault to operations and tables', async () => {
    const other = (await createTable(ddb.client, null)).name;
    await ddb.service.faults.inject({
      mode: 'throttle',
      seconds: 5,
      operations: ['PutItem'],
      tables: [table],
    });
    await expect(ddb.once.send(new PutItemCommand(item('r')))).rejects.toThrow(
      ProvisionedThroughputExceededException,
    );
    await expect(
      ddb.once.send(new PutItemCommand({ TableName: other, Item: { pk: { S: 'r' } } })),
    ).resolves.toBeDefined();
    await expect(
      ddb.once.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'r' } } })),
    ).resolves.toBeDefined();
  });

  it('unreachable: connections refused for the fault, then the same port answers again', async () => {
    // Through the admin endpoint, as a workshop would.
    const answer = await fetch(`${ddb.service.url}/_local/faults`, {
      method: 'POST',
      body: JSON.stringify({ mode: 'unreachable', seconds: 1 }),
    });
    expect(answer.status).toBe(200);
    await sleep(50);

    // What a client sees of a closed port: the SDK wraps the socket error (and retries it).
    const err = await failure(ddb.once.send(new PutItemCommand(item('u'))));
    expect(err.message).toMatch(/ECONNREFUSED|ECONNRESET/);
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
    await sleep(1100);
    const fresh = new DynamoDBClient({ ...clientConfig(ddb.service.url), maxAttempts: 1 });
    await expect(fresh.send(new PutItemCommand(item('u')))).resolves.toBeDefined();
    await expect(ddb.once.send(new PutItemCommand(item('u')))).resolves.toBeDefined();
    fresh.destroy();
  });

  it('lists, validates and clears faults on /_local/faults', async () => {
    const bad = await fetch(`${ddb.service.url}/_local/faults`, {
      method: 'POST',
      body: JSON.stringify({ mode: 'melt', seconds: -1 }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/mode.*seconds/s);

    await ddb.service.faults.inject({ mode: 'unavailable', seconds: 60, operations: ['Scan'] });
    const listed = (await (await fetch(`${ddb.service.url}/_local/faults`)).json()) as {
      faults: Array<{ mode: string; operations: string[] }>;
    };
    expect(listed.faults).toMatchObject([{ mode: 'unavailable', operations: ['Scan'] }]);

    const cleared = await fetch(`${ddb.service.url}/_local/faults`, { method: 'DELETE' });
    expect(cleared.status).toBe(200);
    expect(await ddb.service.faults.list()).toEqual([]);
  });
});
