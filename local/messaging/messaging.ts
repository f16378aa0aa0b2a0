import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PortInUseError } from '../net';
import type { Template } from '../template';

export interface LocalQueue {
  url: string;
  arn: string;
  /** From the queue's redrive policy, if it has one. */
  maxReceiveCount?: number;
}

export interface MessagingOptions {
  template: Template;
  region: string;
  accountId: string;
  port?: number;
  host?: string;
  /** Keep queues, messages, topics and subscriptions here (SQLite); in memory when absent. */
  dataDir?: string;
  /** Shortens every queue's visibility timeout (seconds), so redelivery shows within seconds. */
  visibilityTimeoutSeconds?: number;
}

type Props = Record<string, unknown> & {
  VisibilityTimeout?: number;
  MessageRetentionPeriod?: number;
  RedrivePolicy?: {
    deadLetterTargetArn: { 'Fn::GetAtt': [string, string] };
    maxReceiveCount: number;
  };
};

/**
 * SNS and SQS for the stack: fauxqs (https://github.com/kibertoad/fauxqs), with the template's
 * topics and queues created through the AWS API as CloudFormation would (dead-letter queues
 * first, redrive policies and visibility timeouts as written). With `dataDir`, fauxqs keeps its
 * state in SQLite, so messages not yet processed survive a restart.
 */
export async function startMessaging(options: MessagingOptions) {
  // fauxqs is published as an ES module only, hence the dynamic import.
  const { startFauxqs } = await import('fauxqs');
  let server: Awaited<ReturnType<typeof startFauxqs>>;
  try {
    server = await startFauxqs({
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      logger: false,
      defaultRegion: options.region,
      dataDir: options.dataDir,
    });
  } catch (err: unknown) {
    if ((err as { code?: string }).code === 'EADDRINUSE') {
      throw new PortInUseError('SNS/SQS', options.port ?? 0);
    }
    throw err;
  }
  const awsConfig = {
    region: options.region,
    endpoint: server.address,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const sqs = new SQSClient(awsConfig);
  const sns = new SNSClient(awsConfig);
  const arn = (service: string, name: string) =>
    `arn:aws:${service}:${options.region}:${options.accountId}:${name}`;
  // The path-style queue URL: fauxqs accepts it, and it is the address a user can type.
  const queueUrl = (name: string) => `${server.address}/${options.accountId}/${name}`;

  const queues = new Map<string, LocalQueue>();
  const pending = Object.entries(options.template.Resources).filter(
    ([, r]) => r.Type === 'AWS::SQS::Queue',
  ) as Array<[string, { Properties: Props }]>;
  while (pending.length > 0) {
    const index = pending.findIndex(([, r]) => {
      const target = r.Properties.RedrivePolicy?.deadLetterTargetArn['Fn::GetAtt'][0];
      return !target || queues.has(target);
    });
    if (index < 0) throw new Error('Queues with a circular redrive policy');
    const [id, { Properties: p }] = pending.splice(index, 1)[0] as [string, { Properties: Props }];
    const attributes: Record<string, string> = {};
    // Every queue, dead-letter queues included (a message received there and not deleted).
    const visibility = options.visibilityTimeoutSeconds ?? p.VisibilityTimeout;
    if (visibility !== undefined) attributes.VisibilityTimeout = String(visibility);
    if (p.MessageRetentionPeriod !== undefined) {
      attributes.MessageRetentionPeriod = String(p.MessageRetentionPeriod);
    }
    if (p.RedrivePolicy) {
      const target = queues.get(p.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]);
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: target?.arn,
        maxReceiveCount: String(p.RedrivePolicy.maxReceiveCount),
      });
    }
    await sqs.send(new CreateQueueCommand({ QueueName: id, Attributes: attributes }));
    queues.set(id, {
      url: queueUrl(id),
      arn: arn('sqs', id),
      maxReceiveCount: p.RedrivePolicy?.maxReceiveCount,
    });
  }

  const topics = new Map<string, string>();
  for (const [id, r] of Object.entries(options.template.Resources)) {
    if (r.Type !== 'AWS::SNS::Topic') continue;
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: id }));
    topics.set(id, TopicArn as string);
  }

  return {
    url: server.address,
    sqs,
    sns,
    queues,
    topics,
    /**
     * SNS Publish as a service integration calls it (Step Functions' `sns:publish`): straight to
     * fauxqs's own publish, which fans out to the subscriptions as its HTTP API does, without a
     * client and a request. Through the SDK, the publish of every order was a fifth of this
     * process's main thread at 50 orders/s (`BENCH_ONLY=rates npm run bench`). Fails as SNS's
     * Publish does, the error named as the SDK names it: NotFoundException for a topic that does
     * not exist, InvalidParameterException for an empty or too long message
     * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_Errors).
     */
    publish(
      topicArn: string,
      message: string,
      messageAttributes: Record<string, MessageAttributeValue> = {},
    ): { MessageId: string } {
      const [, , service, region, account, name] = topicArn.split(':');
      if (service !== 'sns' || account !== options.accountId || !name)
        throw snsError('NotFoundException', 'Topic does not exist');
      if (message === '') throw snsError('InvalidParameterException', 'Invalid parameter: Message');
      try {
        return {
          MessageId: server.publish(name, message, { messageAttributes, region }).messageId,
        };
      } catch (err: unknown) {
        const text = (err as Error).message;
        if (/not found/.test(text)) throw snsError('NotFoundException', 'Topic does not exist');
        if (/too long/.test(text))
          throw snsError('InvalidParameterException', `Invalid parameter: ${text}`);
        throw err;
      }
    },
    /** A queue subscribed to every topic (raw delivery), for the stack's notification log. */
    async subscribeAll(queueName: string): Promise<LocalQueue> {
      await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
      const queue = { url: queueUrl(queueName), arn: arn('sqs', queueName) };
      for (const topicArn of topics.values()) {
        await sns.send(
          new SubscribeCommand({
            TopicArn: topicArn,
            Protocol: 'sqs',
            Endpoint: queue.arn,
            Attributes: { RawMessageDelivery: 'true' },
          }),
        );
      }
      return queue;
    },
    async stop() {
      sqs.destroy();
      sns.destroy();
      await server.stop();
    },
  };
}

export type Messaging = Awaited<ReturnType<typeof startMessaging>>;

/** An SNS message attribute, as Publish takes it. */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

function snsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}
