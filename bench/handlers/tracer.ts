import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

/**
 * The floor with Powertools Tracer (the X-Ray SDK) as the functions had it before: the client's
 * calls captured as subsegments and the handler in a subsegment of its own, as Powertools
 * documents manual instrumentation.
 */
const tracer = new Tracer({ serviceName: 'orders' });
const client = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));

export const handler = async (event: { orderId: string }) => {
  const segment = tracer.getSegment();
  const subsegment = segment?.addNewSubsegment('## index.handler');
  if (subsegment) tracer.setSegment(subsegment);
  try {
    const { Item } = await client.send(
      new GetCommand({
        TableName: process.env.ORDERS_TABLE,
        Key: { pk: `ORDER#${event.orderId}`, sk: 'ORDER' },
      }),
    );
    return Item ?? null;
  } finally {
    subsegment?.close();
    if (segment) tracer.setSegment(segment);
  }
};
