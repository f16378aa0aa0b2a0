import { PublishCommand } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { type Messaging, startMessaging } from '../../local/messaging/messaging';
import type { Template } from '../../local/template';

// What the workflow's `sns:publish` task calls: SNS Publish, straight to the local SNS.
// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
describe('local SNS: Publish as a service integration calls it', () => {
  let messaging: Messaging;
  let inbox: string;
  const template = { Resources: { Events: { Type: 'AWS::SNS::Topic' } } } as unknown as Template;

  beforeAll(async () => {
    messaging = await startMessaging({ template, region: 'us-east-1', accountId: '000000000000' });
    inbox = (await messaging.subscribeAll('inbox')).url;
  });
  afterAll(() => messaging.stop());

  it('delivers to the subscribed queues with its attributes, as a publish through the API does', async () => {
    const topicArn = messaging.topics.get('Events') as string;
    const attributes = { eventType: { DataType: 'String', StringValue: 'ORDER_SHIPPED' } };
    const { MessageId } = messaging.publish(topicArn, '{"orderId":"o-1"}', attributes);
    const { MessageId: viaApi } = await messaging.sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: '{"orderId":"o-2"}',
        MessageAttributes: attributes,
      }),
    );

    const { Messages = [] } = await messaging.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: inbox,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    await messaging.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: inbox,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(viaApi).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      Messages.map((m) => [m.Body, m.MessageAttributes?.eventType?.StringValue]).sort(),
    ).toEqual([
      ['{"orderId":"o-1"}', 'ORDER_SHIPPED'],
      ['{"orderId":"o-2"}', 'ORDER_SHIPPED'],
    ]);
  });

  it('fails as SNS does: NotFoundException for a missing topic, InvalidParameterException for an empty or too long message', () => {
    const topicArn = messaging.topics.get('Events') as string;
    const failure = (arn: string, message: string) => {
      try {
        messaging.publish(arn, message);
      } catch (err: unknown) {
        return `${(err as Error).name}: ${(err as Error).message}`;
      }
      return 'published';
    };

    expect(failure(topicArn.replace(/Events$/, 'Missing'), 'x')).toBe(
      'NotFoundException: Topic does not exist',
    );
    expect(failure(topicArn.replace('000000000000', '111111111111'), 'x')).toBe(
      'NotFoundException: Topic does not exist',
    );
    expect(failure('not-an-arn', 'x')).toBe('NotFoundException: Topic does not exist');
    expect(failure(topicArn, '')).toBe('InvalidParameterException: Invalid parameter: Message');
    expect(failure(topicArn, 'x'.repeat(256 * 1024 + 1))).toMatch(
      /^InvalidParameterException: Invalid parameter: Message too long/,
    );
    expect(failure(topicArn, 'x'.repeat(256 * 1024 - 100))).toBe('published');
  });
});
