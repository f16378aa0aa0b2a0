import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { sampleEvent } from './fixtures';
import type { OrderSystem } from './order-system';

let sequence = 200000000000000000000000n;

/** A stream record carrying an item of the orders table, built on the sample stream event. */
export function streamRecord(
  item: Record<string, unknown>,
  eventName: DynamoDBRecord['eventName'] = 'INSERT',
): DynamoDBRecord {
  const [sample] = sampleEvent<DynamoDBStreamEvent>('start-workflow').Records;
  const image = marshall(item, { removeUndefinedValues: true });
  return {
    ...sample,
    eventName,
    dynamodb: {
      ...sample?.dynamodb,
      Keys: { pk: image.pk as never, sk: image.sk as never },
      NewImage: image as never,
      SequenceNumber: String(++sequence),
    },
  };
}

/** The stream record DynamoDB would emit for the order as it is stored now. */
export async function streamRecordOfOrder(system: OrderSystem, orderId: string) {
  const { Item } = await system.documentClient.send(
    new GetCommand({ TableName: system.ordersTable, Key: { pk: `ORDER#${orderId}`, sk: 'ORDER' } }),
  );
  if (!Item) throw new Error(`Order ${orderId} is not stored`);
  return streamRecord(Item);
}

/** An SQS batch of stock arrival messages, built on the sample restock event. */
export function sqsBatch(bodies: unknown[]): SQSEvent {
  const [sample] = sampleEvent<SQSEvent>('restock').Records as [SQSRecord];
  return {
    Records: bodies.map((body, i) => ({
      ...sample,
      messageId: `message-${i}-${Math.random().toString(36).slice(2)}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })),
  };
}
