import type { Context } from 'aws-lambda';

/** The CloudWatch EMF documents a write to stdout carried. */
function emfDocuments(chunks: string[]) {
  return chunks
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: EmfMetadata });
}

interface EmfMetadata {
  CloudWatchMetrics: Array<{
    Namespace: string;
    Dimensions: string[][];
    Metrics: Array<{ Name: string }>;
  }>;
}

describe('instrument (the wrapper of every handler)', () => {
  const saved = { ...process.env };
  let written: string[];

  beforeEach(() => {
    // Powertools writes metrics as EMF lines on stdout; tests turn it off by default.
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'ServerlessOrders';
    process.env.POWERTOOLS_SERVICE_NAME = 'orders';
    // What Lambda sets for an on-demand environment; Powertools counts cold starts only there.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    written = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
  });

  it('publishes ColdStart once per execution environment, per function (dimension function_name)', async () => {
    let instrument!: typeof import('../../src/layers/shared/src/runtime/handler').instrument;
    jest.isolateModules(() => {
      ({ instrument } = require('../../src/layers/shared/src/runtime/handler'));
    });
    const handler = instrument(async () => 'done');
    const context = { functionName: 'CreateOrderFunction', awsRequestId: 'r-1' } as Context;

    await handler({}, context);
    await handler({}, { ...context, awsRequestId: 'r-2' });

    const coldStarts = emfDocuments(written).filter((doc) =>
      doc._aws.CloudWatchMetrics.some((m) =>
        m.Metrics.some((metric) => metric.Name === 'ColdStart'),
      ),
    );
    expect(coldStarts).toHaveLength(1);
    const [coldStart] = coldStarts;
    expect(coldStart?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'ServerlessOrders',
      Dimensions: [expect.arrayContaining(['service', 'function_name'])],
    });
    expect(coldStart).toMatchObject({
      service: 'orders',
      function_name: 'CreateOrderFunction',
      ColdStart: 1,
    });
  });
});
