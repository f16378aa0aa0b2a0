import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoInventoryStore } from '../src/layers/shared/src/adapters/dynamodb-inventory';
import { type Build, buildApplication } from './build';
import { createTables, localDynamoDbClient, startDynamoDb } from './dynamodb';
import { readDynamoDbStream } from './dynamodb-stream-reader';
import { type ChangeLog, type StreamViewType, startStreamCapturingProxy } from './dynamodb-streams';
import { SqsTrigger, StreamTrigger } from './event-sources';
import type { FilterPattern } from './filter-criteria';
import { type HttpRoute, type JwtAuthorizer, startHttpApi } from './http-api';
import { LOCAL_CLIENT_ID, loadOrCreateKeys, startIssuer } from './issuer';
import { LocalFunction } from './lambda';
import { listen } from './net';
import { condition, type ResolveContext, resolve } from './resolve';
import { startStepFunctionsEndpoint } from './step-functions-endpoint';
import { loadTemplate, ROOT, type Template } from './template';
import { LOCAL_ACCOUNT, LOCAL_REGION, localArn, localOrderWorkflow } from './workflow';

export interface LocalStackOptions {
  host?: string;
  /** Port per service; 0 picks a free one. */
  ports?: Partial<Record<'api' | 'issuer' | 'dynamodb' | 'messaging' | 'stepFunctions', number>>;
  /** Where the issuer's keys (and, with `persist`, the tables) are kept. */
  stateDir?: string;
  /** Keep DynamoDB's data on disk between runs. */
  persist?: boolean;
  /** Stock the demo SKUs (idempotent). */
  seed?: boolean;
  /** Shortens queue visibility timeouts (seconds) so redelivery shows within seconds. */
  visibilityTimeoutSeconds?: number;
  /** Pause before the stream trigger retries a batch, and before workflow retries (ms). */
  retryDelayMs?: number;
  /** Print every function log line, not only warnings and errors. */
  functionLogs?: boolean;
  /** Count the work done (capacity units, transitions, publishes, invocations) for the benchmark. */
  accounting?: boolean;
  log?: (line: string) => void;
}

/** The SKUs `npm start` stocks: one plentiful, one scarce, one out of stock. */
export const DEMO_STOCK: Record<string, number> = { 'WIDGET-1': 100, 'GADGET-7': 3, 'GIZMO-9': 0 };

// biome-ignore lint/suspicious/noExplicitAny: template properties are untyped YAML.
type Props = Record<string, any>;
type Resource = { Type: string; Properties: Props; Metadata?: Props; Condition?: string };

/**
 * The whole application on this machine, from template.yaml: DynamoDB (dynalite, with a change
 * stream), SNS and SQS (fauxqs), the order workflow (aws-local-stepfunctions behind a Step
 * Functions endpoint), every function in its own environment, their event sources, the HTTP
 * API with its JWT authorizer, and a token issuer. No AWS account, no Docker.
 */
export async function startLocalStack(options: LocalStackOptions = {}) {
  const host = options.host ?? '127.0.0.1';
  const given = Object.entries(options.ports ?? {}).filter(([, port]) => port !== undefined);
  const ports = {
    api: 3000,
    issuer: 3100,
    dynamodb: 8000,
    messaging: 4566,
    stepFunctions: 8083,
    ...Object.fromEntries(given),
  };
  const stateDir = options.stateDir ?? join(ROOT, '.local');
  const log = options.log ?? ((line: string) => console.log(line));
  const stoppers: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stoppers.splice(0).reverse()) await s().catch(() => {});
  };

  const counts = { readUnits: 0, writeUnits: 0, transitions: 0, executions: 0, snsPublishes: 0 };
  try {
    const template = loadTemplate();
    const build = await buildApplication(template);

    // Identity: a local OpenID Connect issuer stands in for the user pool.
    const keys = await loadOrCreateKeys(join(stateDir, 'issuer-keys.json'));
    const issuer = await startIssuer(keys, ports.issuer, host);
    stoppers.push(issuer.close);
    const parameters = { Stage: 'dev', JwtIssuer: issuer.issuer, JwtAudience: LOCAL_CLIENT_ID };

    // DynamoDB, its tables, and a change stream for the tables that have one.
    // With dynalite the capturing proxy takes the DynamoDB port and dynalite sits behind it.
    const dynamo = await startDynamoDb({
      useContainers: false,
      dynalitePath: options.persist ? join(stateDir, 'dynamodb') : undefined,
    });
    stoppers.push(dynamo.stop);
    const dynamoClient = localDynamoDbClient(dynamo.url);
    const tableNames = await createTables(dynamoClient, '', { ifMissing: true });
    const streamTables = streamingTables(template, tableNames);
    let dynamoUrl = dynamo.url;
    const changeLogs = new Map<string, ChangeLog>();
    if (dynamo.kind === 'dynalite') {
      const proxy = await startStreamCapturingProxy({
        targetUrl: dynamo.url,
        client: dynamoClient,
        tables: streamTables,
        region: LOCAL_REGION,
        port: ports.dynamodb,
        host,
        onCapacity: options.accounting
          ? (operation, capacity) => {
              const units = [capacity]
                .flat()
                .reduce(
                  (sum: number, c) =>
                    sum + Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0),
                  0,
                );
              if (/^(Get|BatchGet|Query|Scan)/.test(operation)) counts.readUnits += units;
              else counts.writeUnits += units;
            }
          : undefined,
      });
      stoppers.push(proxy.close);
      dynamoUrl = proxy.url;
      for (const t of streamTables) changeLogs.set(t.logicalId, proxy.changeLog(t.tableName));
    } else {
      for (const t of streamTables) {
        const reader = await readDynamoDbStream(dynamo.url, t.tableName, log);
        stoppers.push(reader.stop);
        changeLogs.set(t.logicalId, reader.changeLog);
      }
    }

    // SNS and SQS: fauxqs, provisioned through the AWS API like CloudFormation would.
    // fauxqs is published as an ES module only, hence the dynamic import.
    const { buildApp } = await import('fauxqs');
    const messaging = buildApp({ logger: false, defaultRegion: LOCAL_REGION });
    await messaging.ready();
    const messagingUrl = await listen(messaging.server, ports.messaging, host, 'SNS/SQS');
    stoppers.push(() => messaging.close());
    const awsConfig = {
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const sqs = new SQSClient({ ...awsConfig, endpoint: messagingUrl });
    const sns = new SNSClient({ ...awsConfig, endpoint: messagingUrl });
    const queues = await createQueues(template, sqs, options.visibilityTimeoutSeconds);
    const topics = new Map<string, string>();
    for (const [id] of resources(template, 'AWS::SNS::Topic')) {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: id }));
      topics.set(id, TopicArn as string);
    }

    // Names of the stack's resources, as CloudFormation would resolve !Ref and !GetAtt.
    const stateMachineArn = localArn('states', 'OrderWorkflow');
    const ctx: ResolveContext = {
      template,
      parameters,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      ref: (id) => {
        const type = template.Resources[id]?.Type;
        if (type === 'AWS::DynamoDB::Table') return tableNames[id] as string;
        if (type === 'AWS::SQS::Queue') return queues.get(id)?.url as string;
        if (type === 'AWS::SNS::Topic') return topics.get(id) as string;
        if (type === 'AWS::Serverless::StateMachine') return localArn('states', id);
        return id;
      },
      getAtt: (id, attribute) => {
        const type = template.Resources[id]?.Type;
        if (type === 'AWS::DynamoDB::Table') {
          const arn = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${tableNames[id]}`;
          return attribute === 'StreamArn' ? `${arn}/stream/local` : arn;
        }
        if (type === 'AWS::SQS::Queue')
          return attribute === 'Arn' ? (queues.get(id)?.arn as string) : id;
        if (type === 'AWS::SNS::Topic')
          return attribute === 'TopicName' ? id : (topics.get(id) as string);
        if (type === 'AWS::Serverless::Function') return localArn('lambda', id);
        // Log groups, alarms and the like exist only in AWS: a placeholder the stack never uses.
        return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}/${attribute}`;
      },
    };

    // Step Functions endpoint (filled in once the functions exist).
    const functions = new Map<string, LocalFunction>();
    const invoke = (id: string, event: unknown) => {
      const fn = functions.get(id);
      if (!fn) throw new Error(`No function ${id} runs locally`);
      return fn.invoke(event);
    };
    const workflow = localOrderWorkflow(
      {
        invoke,
        async publish(topicArn, message, attributes) {
          counts.snsPublishes++;
          await sns.send(
            new PublishCommand({
              TopicArn: topicArn,
              Message: message,
              MessageAttributes: attributes,
            }),
          );
        },
      },
      template,
    );
    const sfn = await startStepFunctionsEndpoint(async (execution) => {
      const { orderId } = JSON.parse(execution.input) as { orderId?: string };
      log(`workflow ${execution.name}: started (order ${orderId})`);
      const run = workflow.run(JSON.parse(execution.input), { retryDelayMs: options.retryDelayMs });
      counts.executions++;
      void logStates(run.eventLogs, (state) => {
        counts.transitions++;
        log(`workflow ${execution.name}: ${state}`);
      });
      try {
        const output = await run.result;
        log(`workflow ${execution.name}: SUCCEEDED`);
        return output;
      } catch (err: unknown) {
        log(`workflow ${execution.name}: FAILED (${(err as Error).name})`);
        throw err;
      }
    }, ports.stepFunctions);
    stoppers.push(sfn.close);

    // The functions, each with the environment its template entry gives it.
    const endpoints = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
      AWS_ENDPOINT_URL_SFN: sfn.url,
      AWS_ENDPOINT_URL_SNS: messagingUrl,
      AWS_ENDPOINT_URL_SQS: messagingUrl,
    };
    for (const [id, r] of resources(template, 'AWS::Serverless::Function')) {
      if (r.Condition && !condition(ctx, r.Condition)) continue;
      functions.set(
        id,
        new LocalFunction(
          {
            logicalId: id,
            file: build.functions[id]?.file as string,
            exportName: build.functions[id]?.exportName as string,
            environment: functionEnvironment(template, ctx, id, r, build, endpoints),
            timeoutSeconds: Number(
              r.Properties.Timeout ?? template.Globals?.Function?.Timeout ?? 3,
            ),
            memoryMb: Number(
              r.Properties.MemorySize ?? template.Globals?.Function?.MemorySize ?? 128,
            ),
          },
          (fn, line) => logFunctionLine(log, fn, line, options.functionLogs ?? false),
        ),
      );
    }
    stoppers.push(async () => Promise.all([...functions.values()].map((f) => f.stop())));

    // Event sources and HTTP routes, from the functions' Events.
    const routes: HttpRoute[] = [];
    const triggers: Array<SqsTrigger | StreamTrigger> = [];
    const api = resources(template, 'AWS::Serverless::HttpApi')[0];
    if (!api) throw new Error('template.yaml has no AWS::Serverless::HttpApi');
    const [apiId, apiResource] = api;
    const apiProps = resolve(ctx, apiResource.Properties) as Props;
    for (const [id] of functions) {
      const events = (template.Resources[id] as Resource).Properties.Events ?? {};
      for (const [eventName, event] of Object.entries(events) as Array<[string, Resource]>) {
        const props = resolve(ctx, event.Properties) as Props;
        const name = `${id}.${eventName}`;
        if (event.Type === 'HttpApi') {
          routes.push(httpRoute(id, props, apiProps));
        } else if (event.Type === 'SQS') {
          const queue = [...queues.values()].find((q) => q.arn === props.Queue);
          if (!queue) throw new Error(`${name}: unknown queue ${props.Queue}`);
          triggers.push(
            new SqsTrigger({
              name,
              sqs,
              queueUrl: queue.url,
              queueArn: queue.arn,
              region: LOCAL_REGION,
              batchSize: props.BatchSize ?? 10,
              reportBatchItemFailures: (props.FunctionResponseTypes ?? []).includes(
                'ReportBatchItemFailures',
              ),
              invoke: (e) => invoke(id, e),
              log,
            }),
          );
        } else if (event.Type === 'DynamoDB') {
          const table = streamTables.find((t) => t.streamArn === props.Stream);
          const changeLog = table && changeLogs.get(table.logicalId);
          if (!table || !changeLog) throw new Error(`${name}: unknown stream ${props.Stream}`);
          const destination = props.DestinationConfig?.OnFailure?.Destination;
          const failureQueue = [...queues.values()].find((q) => q.arn === destination);
          triggers.push(
            new StreamTrigger({
              name,
              changeLog,
              streamArn: table.streamArn,
              functionArn: localArn('lambda', id),
              batchSize: props.BatchSize ?? 100,
              batchingWindowSeconds: props.MaximumBatchingWindowInSeconds ?? 0,
              maximumRetryAttempts: props.MaximumRetryAttempts ?? Number.MAX_SAFE_INTEGER,
              maximumRecordAgeSeconds: props.MaximumRecordAgeInSeconds ?? 86_400,
              bisectOnError: props.BisectBatchOnFunctionError === true,
              reportBatchItemFailures: (props.FunctionResponseTypes ?? []).includes(
                'ReportBatchItemFailures',
              ),
              filters: (props.FilterCriteria?.Filters ?? []).map(
                (f: { Pattern: string }) => JSON.parse(f.Pattern) as FilterPattern,
              ),
              onFailure: failureQueue ? { sqs, queueUrl: failureQueue.url } : undefined,
              invoke: (e) => invoke(id, e),
              log,
              retryDelayMs: options.retryDelayMs,
            }),
          );
        } else {
          throw new Error(`${name}: event type ${event.Type} is not supported locally`);
        }
      }
    }
    for (const t of triggers) t.start();
    stoppers.push(async () => Promise.all(triggers.map((t) => t.stop())));

    // Notifications: a local queue subscribed to every topic, so they show in the log.
    const watcher = await watchNotifications(sqs, sns, topics, log);
    stoppers.push(watcher.stop);

    const http = await startHttpApi({
      apiId,
      routes,
      cors: apiProps.CorsConfiguration,
      throttling: apiProps.DefaultRouteSettings && {
        rateLimit: apiProps.DefaultRouteSettings.ThrottlingRateLimit,
        burstLimit: apiProps.DefaultRouteSettings.ThrottlingBurstLimit,
      },
      invoke,
      log,
      port: ports.api,
      host,
    });
    stoppers.push(http.close);

    if (options.seed ?? true) {
      const inventory = dynamoInventoryStore(
        DynamoDBDocumentClient.from(new DynamoDBClient({ ...awsConfig, endpoint: dynamoUrl })),
        tableNames.InventoryTable as string,
      );
      for (const [sku, quantity] of Object.entries(DEMO_STOCK)) {
        if (quantity > 0) await inventory.addStock(sku, quantity, `seed-${sku}`);
      }
    }

    return {
      apiUrl: http.url,
      issuer: issuer.issuer,
      keys,
      audience: LOCAL_CLIENT_ID,
      dynamodb: {
        url: dynamoUrl,
        /** dynalite itself, behind the stream proxy: writes here make no stream records. */
        directUrl: dynamo.url,
        kind: dynamo.kind,
        tables: tableNames,
      },
      messagingUrl,
      stepFunctionsUrl: sfn.url,
      stateMachineArn,
      queues: Object.fromEntries([...queues].map(([id, q]) => [id, q.url])),
      topics: Object.fromEntries(topics),
      routes: routes.map((r) => `${r.method} ${r.path}`),
      /** The work done so far (with `accounting`: DynamoDB capacity units). */
      usage: () => ({
        ...counts,
        functions: Object.fromEntries(
          [...functions].map(([id, f]) => [id, { ...f.usage, memoryMb: f.config.memoryMb }]),
        ),
        sqs: triggers
          .filter((t): t is SqsTrigger => t instanceof SqsTrigger)
          .map((t) => t.usage)
          .reduce(
            (a, b) => ({
              receives: a.receives + b.receives,
              emptyReceives: a.emptyReceives + b.emptyReceives,
              deletes: a.deletes + b.deletes,
            }),
            { receives: 0, emptyReceives: 0, deletes: 0 },
          ),
      }),
      stop,
    };
  } catch (err: unknown) {
    await stop();
    throw err;
  }
}

export type LocalStack = Awaited<ReturnType<typeof startLocalStack>>;

function resources(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type) as Array<
    [string, Resource]
  >;
}

function streamingTables(template: Template, tableNames: Record<string, string>) {
  return resources(template, 'AWS::DynamoDB::Table')
    .filter(([, r]) => r.Properties.StreamSpecification)
    .map(([id, r]) => ({
      logicalId: id,
      tableName: tableNames[id] as string,
      keyNames: (r.Properties.KeySchema as Array<{ AttributeName: string }>).map(
        (k) => k.AttributeName,
      ),
      viewType: r.Properties.StreamSpecification.StreamViewType as StreamViewType,
      streamArn: `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${tableNames[id]}/stream/local`,
    }));
}

/** Creates the template's queues with their attributes, dead-letter queues first. */
async function createQueues(template: Template, sqs: SQSClient, visibilityTimeout?: number) {
  const queues = new Map<string, { url: string; arn: string }>();
  const pending = resources(template, 'AWS::SQS::Queue');
  while (pending.length > 0) {
    const index = pending.findIndex(([, r]) => {
      const target = r.Properties.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0];
      return !target || queues.has(target);
    });
    if (index < 0) throw new Error('Queues with a circular redrive policy');
    const [id, r] = pending.splice(index, 1)[0] as [string, Resource];
    const p = r.Properties;
    const attributes: Record<string, string> = {};
    if (p.VisibilityTimeout !== undefined)
      attributes.VisibilityTimeout = String(visibilityTimeout ?? p.VisibilityTimeout);
    if (p.MessageRetentionPeriod !== undefined)
      attributes.MessageRetentionPeriod = String(p.MessageRetentionPeriod);
    if (p.RedrivePolicy) {
      const target = queues.get(p.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]);
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: target?.arn,
        maxReceiveCount: String(p.RedrivePolicy.maxReceiveCount),
      });
    }
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: id, Attributes: attributes }),
    );
    queues.set(id, {
      url: QueueUrl as string,
      arn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}`,
    });
  }
  return queues;
}

/** Globals plus the function's own variables, resolved, plus what Lambda itself sets. */
function functionEnvironment(
  template: Template,
  ctx: ResolveContext,
  id: string,
  r: Resource,
  build: Build,
  endpoints: Record<string, string>,
): Record<string, string> {
  const variables = {
    ...(template.Globals?.Function?.Environment?.Variables ?? {}),
    ...(r.Properties.Environment?.Variables ?? {}),
  };
  const resolved = resolve(ctx, variables) as Record<string, unknown>;
  const built = build.functions[id];
  return {
    ...Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, String(v)])),
    // What Lambda's Node.js runtime sets (the subset the code and its libraries read).
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_LAMBDA_FUNCTION_NAME: id,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(
      r.Properties.MemorySize ?? template.Globals?.Function?.MemorySize ?? 128,
    ),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    LAMBDA_TASK_ROOT: built?.dir ?? '',
    _HANDLER: String(r.Properties.Handler),
    NODE_PATH: build.layerNodeModules,
    TZ: ':UTC',
    // As under `sam local`: tells Powertools Tracer there is no X-Ray daemon to send to.
    AWS_SAM_LOCAL: 'true',
    ...endpoints,
  };
}

function httpRoute(functionId: string, props: Props, api: Props): HttpRoute {
  const auth = api.Auth ?? {};
  const authorizerName = props.Auth?.Authorizer ?? auth.DefaultAuthorizer;
  let authorizer: JwtAuthorizer | undefined;
  if (authorizerName && authorizerName !== 'NONE') {
    const definition = auth.Authorizers?.[authorizerName];
    if (!definition?.JwtConfiguration)
      throw new Error(`Authorizer ${authorizerName} is not a JWT authorizer`);
    authorizer = {
      issuer: definition.JwtConfiguration.issuer,
      audience: definition.JwtConfiguration.audience,
      identitySource: definition.IdentitySource ?? '$request.header.Authorization',
    };
  }
  return {
    method: String(props.Method ?? 'ANY').toUpperCase(),
    path: props.Path,
    functionId,
    authorizer,
    scopes: props.Auth?.AuthorizationScopes ?? [],
  };
}

function logFunctionLine(log: (line: string) => void, fn: string, line: string, all: boolean) {
  let entry: Record<string, unknown> | undefined;
  try {
    entry = JSON.parse(line);
  } catch {
    return log(`${fn}: ${line}`);
  }
  const level = String(entry?.level ?? 'INFO');
  if (!all && !['WARN', 'ERROR', 'CRITICAL'].includes(level)) return;
  const orderId = entry?.orderId ? ` (order ${entry.orderId})` : '';
  const error = entry?.error ? ` ${JSON.stringify(entry.error)}` : '';
  log(`${fn}: ${level} ${entry?.message ?? line}${orderId}${error}`);
}

async function logStates(
  events: AsyncIterable<{ type: string; state?: { name: string } }>,
  log: (state: string) => void,
) {
  try {
    for await (const event of events) {
      if (event.type === 'StateEntered' && event.state) log(event.state.name);
    }
  } catch {
    // the execution's own result reports failures
  }
}

async function watchNotifications(
  sqs: SQSClient,
  sns: SNSClient,
  topics: Map<string, string>,
  log: (l: string) => void,
) {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: 'local-notification-log' }),
  );
  for (const topicArn of topics.values()) {
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:local-notification-log`,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
  }
  const trigger = new SqsTrigger({
    name: 'notifications',
    sqs,
    queueUrl: QueueUrl as string,
    queueArn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:local-notification-log`,
    region: LOCAL_REGION,
    batchSize: 10,
    reportBatchItemFailures: false,
    async invoke(event) {
      for (const record of (event as { Records: Array<{ body: string }> }).Records) {
        const n = JSON.parse(record.body) as {
          type?: string;
          orderId?: string;
          customerId?: string;
          message?: string;
        };
        log(`notification ${n.type} to ${n.customerId ?? '?'} (order ${n.orderId}): ${n.message}`);
      }
    },
    log: () => {},
  });
  trigger.start();
  return { stop: () => trigger.stop() };
}
