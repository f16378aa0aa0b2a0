import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoInventory } from '../src/layers/shared/src/adapters/dynamodb-inventory';
import { type HttpRoute, startHttpApi } from './apigateway/http-api';
import { jwtAuthorizer, type RouteAuthorizer } from './apigateway/jwt-authorizer';
import { lambdaAuthorizer } from './apigateway/lambda-authorizer';
import { LOCAL_CLIENT_ID, loadOrCreateKeys, startIssuer } from './cognito/issuer';
import { startControl } from './control';
import { createTables, localDynamoDbClient, startDynamoDb } from './dynamodb/endpoint';
import { StreamEventSourceMapping, streamsApiSource } from './event-sources/dynamodb-stream';
import type { FilterPattern } from './event-sources/filter-criteria';
import type { PollingLoop } from './event-sources/polling-loop';
import { rateMs, Schedule } from './event-sources/schedule';
import { SqsEventSourceMapping } from './event-sources/sqs';
import { type Build, buildApplication, FunctionError, LambdaService } from './lambda';
import { type MessageAttributeValue, startMessaging } from './messaging/messaging';
import { condition, type ResolveContext, resolve } from './resolve';
import { stateMachineRunner, TaskError } from './stepfunctions/interpreter';
import { startStepFunctions } from './stepfunctions/service';
import { loadTemplate, ROOT, type Template, workflowDefinition } from './template';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

type ServicePort = 'api' | 'issuer' | 'dynamodb' | 'messaging' | 'stepFunctions' | 'control';

export const DEFAULT_PORTS: Record<ServicePort, number> = {
  api: 3000,
  issuer: 3100,
  dynamodb: 8000,
  messaging: 4566,
  stepFunctions: 8083,
  control: 8090,
};

export interface LocalStackOptions {
  host?: string;
  /** Port per service; 0 picks a free one. */
  ports?: Partial<Record<ServicePort, number>>;
  /** Where the issuer's keys, the stack's address file and (with `persist`) its data are kept. */
  stateDir?: string;
  /** Keep DynamoDB's tables and streams, and the queues' messages, between runs. */
  persist?: boolean;
  /** Stock the demo SKUs (idempotent). */
  seed?: boolean;
  /** Shortens queue visibility timeouts (seconds) so redelivery shows within seconds. */
  visibilityTimeoutSeconds?: number;
  /** A fixed pause before workflow and stream retries (ms), instead of their backoff. */
  retryDelayMs?: number;
  /** How often the reconciler runs (seconds; the template says every 5 minutes). */
  reconcileEverySeconds?: number;
  /** After how long the reconciler takes an unfinished order for stalled (seconds). */
  staleAfterSeconds?: number;
  /** Print every function log line, not only warnings and errors. */
  functionLogs?: boolean;
  /** Count capacity units for the benchmark. */
  accounting?: boolean;
  /** A build to run instead of building now (tests build once for every stack they start). */
  build?: Build;
  /** Appended to every table name, so several stacks can share one DynamoDB endpoint. */
  tableSuffix?: string;
  /** The template's Authorizer parameter: the API's JWT authorizer (default) or its Lambda one. */
  authorizer?: 'JwtAuthorizer' | 'LambdaAuthorizer';
  log?: (line: string) => void;
}

/** The SKUs `npm start` stocks: one plentiful, one scarce, one known but out of stock. */
export const DEMO_STOCK: Record<string, number> = { 'WIDGET-1': 100, 'GADGET-7': 3, 'GIZMO-9': 0 };

/** Where `npm run token` and `npm run fault` find a running stack (in its state directory). */
export const STACK_FILE = 'stack.json';

// biome-ignore lint/suspicious/noExplicitAny: template properties are untyped YAML.
type Props = Record<string, any>;
type Resource = { Type: string; Properties: Props; Metadata?: Props; Condition?: string };

/**
 * The whole application on this machine, from template.yaml, each AWS service by its stand-in
 * (one folder of local/ each): Cognito's issuer, DynamoDB with streams, SNS and SQS, Lambda,
 * Step Functions, the event source mappings and schedules, and the HTTP API. No AWS account, no
 * Docker. This function only wires them together.
 */
export async function startLocalStack(options: LocalStackOptions = {}) {
  const host = options.host ?? '127.0.0.1';
  const given = Object.entries(options.ports ?? {}).filter(([, port]) => port !== undefined);
  const ports = { ...DEFAULT_PORTS, ...Object.fromEntries(given) } as Record<ServicePort, number>;
  const stateDir = options.stateDir ?? join(ROOT, '.local');
  const log = options.log ?? ((line: string) => console.log(line));
  const stoppers: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stoppers.splice(0).reverse()) await s().catch(() => {});
  };
  const counts = { transitions: 0, executions: 0, snsPublishes: 0 };

  try {
    const template = loadTemplate();
    const build = options.build ?? (await buildApplication(template));

    // Cognito: a local OpenID Connect issuer stands in for the user pool.
    const keys = await loadOrCreateKeys(join(stateDir, 'issuer-keys.json'));
    const issuer = await startIssuer(keys, ports.issuer, host);
    stoppers.push(issuer.close);
    const parameters: Record<string, string> = {
      Stage: 'dev',
      JwtIssuer: issuer.issuer,
      JwtAudience: LOCAL_CLIENT_ID,
      ...(options.authorizer ? { Authorizer: options.authorizer } : {}),
    };

    // DynamoDB and its streams, with the template's tables.
    const dynamo = await startDynamoDb({
      useContainers: false,
      port: ports.dynamodb,
      host,
      dataDir: options.persist ? join(stateDir, 'dynamodb') : undefined,
      accounting: options.accounting,
    });
    stoppers.push(dynamo.stop);
    const dynamoClient = localDynamoDbClient(dynamo.url);
    stoppers.push(async () => dynamoClient.destroy());
    const tableNames = await createTables(dynamoClient, options.tableSuffix ?? '', {
      ifMissing: true,
    });

    // SNS and SQS, with the template's topics and queues.
    const messaging = await startMessaging({
      template,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      port: ports.messaging,
      host,
      dataDir: options.persist ? join(stateDir, 'messaging') : undefined,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    });
    stoppers.push(messaging.stop);

    const ctx = resolveContext(template, parameters, tableNames, messaging);
    const stateMachineArn = localArn('states', 'OrderWorkflow');

    // Lambda: every function of the template, running its built bundle and the built layer.
    const lambda = new LambdaService({
      accountId: LOCAL_ACCOUNT,
      log,
      onLog: (fn, line) => logFunctionLine(log, fn, line, options.functionLogs ?? false),
      // Every environment shares this machine's cores: a burst of short invocations is served by
      // the environments that are warm rather than by a cold start each (see FunctionPool).
      waitForBusyEnvironments: true,
      // For the same reason, an environment starts at a lower priority than the services. Warm,
      // a function that answers requests runs at theirs (at a lower one, CreateOrderFunction's
      // p99 at 50 orders/s was 21 ms of waiting for a core, against 10 ms at the same one), and
      // one that works in the background lower (BACKGROUND_NICE).
      initNice: 10,
    });
    stoppers.push(() => lambda.stop());

    // Step Functions: the order workflow from statemachine/, its tasks calling the local services.
    const workflowType = String(template.Parameters?.WorkflowType?.Default ?? 'STANDARD') as
      | 'STANDARD'
      | 'EXPRESS';
    const machine = stateMachineRunner(
      workflowDefinition((_name, value) => String(resolve(ctx, value)), template) as never,
      {
        invoke: async (functionArn, payload) => {
          try {
            return await lambda.invoke(String(functionArn.split(':').pop()), payload);
          } catch (err: unknown) {
            // An environment that crashed or ran out of memory is an unhandled error, which
            // Step Functions names Lambda.Unknown; a function error keeps its errorType; errors
            // of the Lambda service itself are prefixed with Lambda.
            // https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
            if (err instanceof FunctionError) {
              if (!['Runtime.ExitError', 'Runtime.OutOfMemory'].includes(err.errorType)) throw err;
              throw new TaskError('Lambda.Unknown', `${err.errorType}: ${err.message}`);
            }
            throw new TaskError(`Lambda.${(err as Error).name}`, (err as Error).message);
          }
        },
        publish: async ({ TopicArn, Message, MessageAttributes }) => {
          counts.snsPublishes++;
          return messaging.publish(
            String(TopicArn),
            String(Message),
            MessageAttributes as Record<string, MessageAttributeValue> | undefined,
          );
        },
        updateItem: (parameters) =>
          dynamoClient.send(new UpdateItemCommand(parameters as never)).then(() => ({})),
      },
    );
    const stepFunctions = await startStepFunctions({
      stateMachineArn,
      type: workflowType,
      port: ports.stepFunctions,
      host,
      run: (execution, from) =>
        machine.run(from ? from.input : JSON.parse(execution.input), {
          startAt: from?.state,
          retryDelayMs: options.retryDelayMs,
          execution: {
            Id: execution.executionArn,
            Name: execution.name,
            StartTime: execution.startDate.toISOString(),
          },
        }),
      onEvent: (execution, event) => {
        if (event === 'SUCCEEDED' || event.includes(' ')) {
          log(`workflow ${execution.name}: ${event}`);
        } else {
          counts.transitions++;
          log(`workflow ${execution.name}: ${event}`);
        }
        if (event === 'ProcessOrder' && execution.redriveCount === 0) counts.executions++;
      },
    });
    stoppers.push(stepFunctions.close);

    const endpoints = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamo.url,
      AWS_ENDPOINT_URL_SFN: stepFunctions.url,
      AWS_ENDPOINT_URL_SNS: messaging.url,
      AWS_ENDPOINT_URL_SQS: messaging.url,
    };
    const localOverrides: Record<string, string> = {
      STALE_AFTER_SECONDS: String(options.staleAfterSeconds ?? 30),
    };
    const functionIds: string[] = [];
    for (const [id, r] of resources(template, 'AWS::Serverless::Function')) {
      if (r.Condition && !condition(ctx, r.Condition)) continue;
      const built = build.functions[id];
      if (!built) throw new Error(`${id} was not built`);
      lambda.createFunction(
        {
          functionName: id,
          codeDir: built.dir,
          handler: built.handler,
          environment: functionEnvironment(template, ctx, id, r, build, {
            ...endpoints,
            ...localOverrides,
          }),
          timeoutSeconds: Number(r.Properties.Timeout ?? template.Globals?.Function?.Timeout ?? 3),
          memoryMb: Number(
            r.Properties.MemorySize ?? template.Globals?.Function?.MemorySize ?? 128,
          ),
          reservedConcurrency: r.Properties.ReservedConcurrentExecutions,
        },
        { nice: answersWaitingCallers(template, id) ? 0 : BACKGROUND_NICE },
      );
      functionIds.push(id);
    }

    // Event sources and HTTP routes, from the functions' Events.
    const streams = new DynamoDBStreamsClient({
      endpoint: dynamo.url,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    stoppers.push(async () => streams.destroy());
    const routes: HttpRoute[] = [];
    const mappings: PollingLoop[] = [];
    const sqsMappings: SqsEventSourceMapping[] = [];
    const api = resources(template, 'AWS::Serverless::HttpApi')[0];
    if (!api) throw new Error('template.yaml has no AWS::Serverless::HttpApi');
    const [apiId, apiResource] = api;
    const apiProps = resolve(ctx, apiResource.Properties) as Props;
    const authorizers = apiAuthorizers(apiProps, lambda);
    for (const id of functionIds) {
      const events = (template.Resources[id] as Resource).Properties.Events ?? {};
      for (const [eventName, event] of Object.entries(events) as Array<[string, Resource]>) {
        const props = resolve(ctx, event.Properties) as Props;
        const name = `${id}.${eventName}`;
        const invoke = (e: unknown) => lambda.invoke(id, e);
        if (event.Type === 'HttpApi') {
          const authorizerName = props.Auth?.Authorizer ?? apiProps.Auth?.DefaultAuthorizer;
          routes.push({
            method: String(props.Method ?? 'ANY').toUpperCase(),
            path: props.Path,
            functionId: id,
            authorizer:
              authorizerName && authorizerName !== 'NONE' ? authorizers(authorizerName) : undefined,
            scopes: props.Auth?.AuthorizationScopes ?? [],
          });
        } else if (event.Type === 'SQS') {
          const queue = [...messaging.queues.values()].find((q) => q.arn === props.Queue);
          if (!queue) throw new Error(`${name}: unknown queue ${props.Queue}`);
          const mapping = new SqsEventSourceMapping({
            name,
            sqs: messaging.sqs,
            queueUrl: queue.url,
            queueArn: queue.arn,
            region: LOCAL_REGION,
            batchSize: props.BatchSize ?? 10,
            maxReceiveCount: queue.maxReceiveCount,
            reportBatchItemFailures: (props.FunctionResponseTypes ?? []).includes(
              'ReportBatchItemFailures',
            ),
            invoke,
            log,
          });
          mappings.push(mapping);
          sqsMappings.push(mapping);
        } else if (event.Type === 'DynamoDB') {
          const tableId = String(props.Stream).match(/table\/([^/]+)\/stream/)?.[1];
          const tableLogicalId = Object.entries(tableNames).find(([, n]) => n === tableId)?.[0];
          if (!tableLogicalId) throw new Error(`${name}: unknown stream ${props.Stream}`);
          const streamArn = await latestStreamArn(
            dynamoClient,
            tableNames[tableLogicalId] as string,
          );
          const failureQueue = [...messaging.queues.values()].find(
            (q) => q.arn === props.DestinationConfig?.OnFailure?.Destination,
          );
          mappings.push(
            new StreamEventSourceMapping({
              name,
              source: streamsApiSource(
                streams,
                streamArn,
                props.StartingPosition ?? 'LATEST',
                join(stateDir, 'checkpoints', `${name}${options.tableSuffix ?? ''}.json`),
              ),
              streamArn,
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
              onFailure: failureQueue
                ? { sqs: messaging.sqs, queueUrl: failureQueue.url }
                : undefined,
              invoke,
              log,
              retryDelayMs: options.retryDelayMs,
            }),
          );
        } else if (event.Type === 'ScheduleV2') {
          const every = options.reconcileEverySeconds;
          mappings.push(
            new Schedule({
              name,
              periodMs: every !== undefined ? every * 1000 : rateMs(props.ScheduleExpression),
              input: props.Input === undefined ? undefined : JSON.parse(props.Input),
              invoke,
              log,
            }),
          );
        } else {
          throw new Error(`${name}: event type ${event.Type} is not supported locally`);
        }
      }
    }

    // Notifications: a queue subscribed to every topic, so they show in the log.
    const notificationLog = await messaging.subscribeAll('local-notification-log');
    mappings.push(
      new SqsEventSourceMapping({
        name: 'notifications',
        sqs: messaging.sqs,
        queueUrl: notificationLog.url,
        queueArn: notificationLog.arn,
        region: LOCAL_REGION,
        batchSize: 10,
        // A line each is all they are for: gathered for up to a second, they cost a receive and a
        // delete per ten instead of per one or two (at 50 orders/s, a third of the stack's own
        // SNS/SQS requests).
        batchingWindowSeconds: 1,
        reportBatchItemFailures: false,
        async invoke(event) {
          for (const record of (event as { Records: Array<{ body: string }> }).Records) {
            const n = JSON.parse(record.body) as Record<string, string | undefined>;
            log(
              `notification ${n.type} to ${n.customerId ?? '?'} (order ${n.orderId}): ${n.message}`,
            );
          }
        },
        log: () => {},
      }),
    );
    for (const mapping of mappings) mapping.start();
    stoppers.push(async () => Promise.all(mappings.map((m) => m.stop())));

    const http = await startHttpApi({
      apiId,
      routes,
      cors: apiProps.CorsConfiguration,
      throttling: apiProps.DefaultRouteSettings && {
        rateLimit: apiProps.DefaultRouteSettings.ThrottlingRateLimit,
        burstLimit: apiProps.DefaultRouteSettings.ThrottlingBurstLimit,
      },
      invoke: (id, event) => lambda.invoke(id, event),
      log,
      port: ports.api,
      host,
    });
    stoppers.push(http.close);

    const control = await startControl({
      dynamodb: dynamo.embedded,
      lambda,
      log,
      port: ports.control,
      host,
    });
    stoppers.push(control.close);

    if (options.seed ?? true) {
      const inventory = dynamoInventory(
        DynamoDBDocumentClient.from(dynamoClient),
        tableNames.InventoryTable as string,
      );
      for (const [sku, quantity] of Object.entries(DEMO_STOCK)) {
        await inventory.receive({ arrivalId: `seed-${sku}`, sku, quantity }, new Date());
      }
    }

    const info = {
      pid: process.pid,
      apiUrl: http.url,
      issuer: issuer.issuer,
      audience: LOCAL_CLIENT_ID,
      stateDir,
      controlUrl: control.url,
      dynamodb: { url: dynamo.url, kind: dynamo.kind, tables: tableNames },
      messagingUrl: messaging.url,
      stepFunctionsUrl: stepFunctions.url,
      stateMachineArn,
      queues: Object.fromEntries([...messaging.queues].map(([id, q]) => [id, q.url])),
      topics: Object.fromEntries(messaging.topics),
      routes: routes.map((r) => `${r.method} ${r.path}`),
    };
    const stackFile = join(stateDir, STACK_FILE);
    writeFileSync(stackFile, `${JSON.stringify(info, null, 2)}\n`);
    stoppers.unshift(async () => rmSync(stackFile, { force: true }));

    return {
      ...info,
      keys,
      lambda,
      stepFunctions,
      faults: control,
      /** The work done so far, for the benchmark. */
      async usage() {
        return {
          ...counts,
          dynamodb: dynamo.embedded ? await dynamo.embedded.usage() : undefined,
          functions: lambda.usage(),
          sqs: sqsMappings
            .map((m) => m.usage)
            .reduce(
              (a, b) => ({
                receives: a.receives + b.receives,
                emptyReceives: a.emptyReceives + b.emptyReceives,
                deletes: a.deletes + b.deletes,
              }),
              { receives: 0, emptyReceives: 0, deletes: 0 },
            ),
        };
      },
      stop,
    };
  } catch (err: unknown) {
    await stop();
    throw err;
  }
}

export type LocalStack = Awaited<ReturnType<typeof startLocalStack>>;

/** The local ARN of a template resource. */
export function localArn(service: 'lambda' | 'states', logicalId: string): string {
  const resource = service === 'lambda' ? `function:${logicalId}` : `stateMachine:${logicalId}`;
  return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
}

/**
 * How much lower than the services a function runs when nobody waits for its answer (workflow
 * steps, stream and queue consumers, schedules). On Lambda every environment has CPU of its own;
 * here they share the machine's cores, and a burst of workflow steps would otherwise hold up the
 * requests a user waits for. POST /orders p99 (`BENCH_ONLY=rates BENCH_RATES=10,50,100 npm run
 * bench`) with every function at the services' priority: 47, 53, 58 and 48 ms at 50 orders/s,
 * 557 ms at 100/s; with these functions 5 steps lower: 35, 54, 48 and 46 ms, and 101 ms.
 */
const BACKGROUND_NICE = 5;

/**
 * Whether callers wait for a function's answer: an HTTP API route, or the API's Lambda
 * authorizer (`Auth.Authorizers.*.FunctionArn: !GetAtt <function>.Arn`).
 */
function answersWaitingCallers(template: Template, id: string): boolean {
  const events = Object.values(template.Resources[id]?.Properties.Events ?? {}) as Resource[];
  if (events.some((e) => e.Type === 'HttpApi')) return true;
  return resources(template, 'AWS::Serverless::HttpApi').some(([, api]) =>
    Object.values((api.Properties.Auth as Props | undefined)?.Authorizers ?? {}).some(
      (a) => (a as Props).FunctionArn?.['Fn::GetAtt']?.[0] === id,
    ),
  );
}

function resources(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type) as Array<
    [string, Resource]
  >;
}

async function latestStreamArn(client: DynamoDBClient, tableName: string): Promise<string> {
  const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table?.LatestStreamArn) throw new Error(`${tableName} has no stream`);
  return Table.LatestStreamArn;
}

/** Names of the stack's resources, as CloudFormation would resolve !Ref and !GetAtt. */
function resolveContext(
  template: Template,
  parameters: Record<string, string>,
  tableNames: Record<string, string>,
  messaging: { queues: Map<string, { url: string; arn: string }>; topics: Map<string, string> },
): ResolveContext {
  const tableArn = (id: string) =>
    `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${tableNames[id]}`;
  return {
    template,
    parameters,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
    ref: (id) => {
      const type = template.Resources[id]?.Type;
      if (type === 'AWS::DynamoDB::Table') return tableNames[id] as string;
      if (type === 'AWS::SQS::Queue') return messaging.queues.get(id)?.url as string;
      if (type === 'AWS::SNS::Topic') return messaging.topics.get(id) as string;
      if (type === 'AWS::Serverless::StateMachine') return localArn('states', id);
      return id;
    },
    getAtt: (id, attribute) => {
      const type = template.Resources[id]?.Type;
      if (type === 'AWS::DynamoDB::Table') {
        return attribute === 'StreamArn' ? `${tableArn(id)}/stream/latest` : tableArn(id);
      }
      if (type === 'AWS::SQS::Queue')
        return attribute === 'Arn' ? (messaging.queues.get(id)?.arn as string) : id;
      if (type === 'AWS::SNS::Topic')
        return attribute === 'TopicName' ? id : (messaging.topics.get(id) as string);
      if (type === 'AWS::Serverless::Function') return localArn('lambda', id);
      if (type === 'AWS::Serverless::StateMachine')
        return attribute === 'Name' ? id : localArn('states', id);
      // Log groups, alarms and the like exist only in AWS: a placeholder the stack never uses.
      return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}/${attribute}`;
    },
  };
}

/**
 * The API's authorizers by name, as route authorizers: a JWT authorizer, or a Lambda authorizer
 * invoking its function in the local Lambda service. Each is made once, so a Lambda authorizer's
 * result cache is shared by its routes, as in API Gateway. A Lambda authorizer's `Identity` becomes
 * its identity sources as SAM writes them (`Headers: [Authorization]` is
 * `$request.header.Authorization`, `Context: [routeKey]` is `$context.routeKey`).
 * https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-httpapi-lambdaauthorizationidentity.html
 */
function apiAuthorizers(api: Props, lambda: LambdaService) {
  const made = new Map<string, RouteAuthorizer>();
  const make = (name: string): RouteAuthorizer => {
    const definition = api.Auth?.Authorizers?.[name];
    if (definition?.JwtConfiguration) {
      return jwtAuthorizer({
        issuer: definition.JwtConfiguration.issuer,
        audience: definition.JwtConfiguration.audience,
        identitySource: definition.IdentitySource ?? '$request.header.Authorization',
      });
    }
    if (definition?.FunctionArn) {
      const identity = definition.Identity ?? {};
      const prefixes: Array<[string, string]> = [
        ['Headers', '$request.header.'],
        ['QueryStrings', '$request.querystring.'],
        ['StageVariables', '$stageVariables.'],
        ['Context', '$context.'],
      ];
      return lambdaAuthorizer({
        functionName: String(definition.FunctionArn).split(':').pop() as string,
        identitySources: prefixes.flatMap(([key, prefix]) =>
          ((identity[key] ?? []) as string[]).map((value) => `${prefix}${value}`),
        ),
        payloadFormatVersion: String(definition.AuthorizerPayloadFormatVersion),
        simpleResponses: definition.EnableSimpleResponses === true,
        resultTtlSeconds: Number(identity.ReauthorizeEvery ?? 0),
        region: LOCAL_REGION,
        invoke: (functionName, event) => lambda.invoke(functionName, event),
      });
    }
    throw new Error(`Authorizer ${name} is neither a JWT nor a Lambda authorizer`);
  };
  return (name: string) => {
    const authorizer = made.get(name) ?? make(name);
    made.set(name, authorizer);
    return authorizer;
  };
}

/** Globals plus the function's own variables, resolved, plus what Lambda itself sets. */
function functionEnvironment(
  template: Template,
  ctx: ResolveContext,
  id: string,
  r: Resource,
  build: Build,
  local: Record<string, string>,
): Record<string, string> {
  const variables = {
    ...(template.Globals?.Function?.Environment?.Variables ?? {}),
    ...(r.Properties.Environment?.Variables ?? {}),
  };
  const resolved = resolve(ctx, variables) as Record<string, unknown>;
  const built = build.functions[id];
  const logging = {
    ...(template.Globals?.Function?.LoggingConfig ?? {}),
    ...(r.Properties.LoggingConfig ?? {}),
  } as Record<string, unknown>;
  const declared = Object.fromEntries(
    Object.entries(resolved)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
  return {
    ...declared,
    // What Lambda's Node.js runtime sets (the subset the code and its libraries read).
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_LAMBDA_FUNCTION_NAME: id,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(
      r.Properties.MemorySize ?? template.Globals?.Function?.MemorySize ?? 128,
    ),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${id}`,
    // LoggingConfig, as Lambda hands it to the runtime: JSON lines, filtered by level (INFO
    // unless ApplicationLogLevel says otherwise).
    // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html
    ...(logging.LogFormat === 'JSON'
      ? {
          AWS_LAMBDA_LOG_FORMAT: 'JSON',
          AWS_LAMBDA_LOG_LEVEL: String(logging.ApplicationLogLevel ?? 'INFO'),
        }
      : {}),
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    LAMBDA_TASK_ROOT: built?.dir ?? '',
    _HANDLER: String(r.Properties.Handler),
    NODE_PATH: build.layerNodeModules,
    TZ: ':UTC',
    // Where the stack's own services listen, and the values it sets for local runs.
    ...Object.fromEntries(
      Object.entries(local).filter(([k]) => k.startsWith('AWS_') || k in declared),
    ),
  };
}

/**
 * Prints a function's log line on the stack's log: by default only warnings and errors, as
 * `<function>: <LEVEL> <message> <fields>`. Lines are Lambda's JSON log format (see
 * local/lambda/runtime.cjs); EMF metric lines and anything else print as they are.
 */
function logFunctionLine(log: (line: string) => void, fn: string, line: string, all: boolean) {
  // Most lines are INFO or metrics (EMF): not parsed when they would not be shown.
  if (!all && !/"level":"(WARN|ERROR|FATAL)"/.test(line)) return;
  let entry: Record<string, unknown> | undefined;
  try {
    entry = JSON.parse(line);
  } catch {}
  if (!entry || typeof entry !== 'object' || !('level' in entry)) {
    if (all) log(`${fn}: ${line}`);
    return;
  }
  const { level, message, timestamp: _t, requestId: _r, ...rest } = entry;
  if (!all && !['WARN', 'ERROR', 'FATAL'].includes(String(level))) return;
  let text = String(message);
  let fields: Record<string, unknown> = rest;
  if (message && typeof message === 'object') {
    // Our logger's { message, function, ...fields }, or an Error as the runtime writes it.
    const { message: m, function: _f, stackTrace, ...own } = message as Record<string, unknown>;
    const error = own.errorType ? `${own.errorType}: ${own.errorMessage}` : undefined;
    text = String(m ?? error ?? JSON.stringify(message));
    if (error) {
      delete own.errorType;
      delete own.errorMessage;
      if (all && Array.isArray(stackTrace)) own.stackTrace = stackTrace;
    }
    fields = { ...own, ...rest };
  }
  // An error among the fields reads as its name and message; --function-logs shows all of it.
  if (!all) {
    fields = Object.fromEntries(
      Object.entries(fields).map(([key, value]) => {
        const e = value as Record<string, unknown> | null;
        return typeof e === 'object' && e !== null && 'errorMessage' in e
          ? [key, `${e.name ?? e.errorType}: ${e.errorMessage}`]
          : [key, value];
      }),
    );
  }
  const details = Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
  log(`${fn}: ${level} ${text}${details}`);
}

/** A fresh id for things the stack names itself. */
export const localId = () => randomUUID();
