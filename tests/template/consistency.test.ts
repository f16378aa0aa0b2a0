import { join } from 'node:path';
import ts from 'typescript';
import { loadTemplate, ROOT, type Template } from '../../local/template';
import { type Access, analyseAccess } from './code-access';
import { type CodeFacts, collectCodeFacts } from './code-facts';
import { RULES, type RuleName } from './rules';

const template = loadTemplate();
let code: CodeFacts;

beforeAll(() => {
  code = collectCodeFacts();
});

const WORKFLOW = 'statemachine/order-workflow.asl.json';

/**
 * Changed copies of the template and of the code's files. The template is copied through JSON
 * rather than structuredClone: the YAML alias `*esbuild` makes the functions share one Metadata
 * object, and a change to one function must not reach the others.
 */
function broken(change: Breakage['apply']): [Template, CodeFacts] {
  const copy = JSON.parse(JSON.stringify(template)) as Template;
  const codeCopy = { ...code, files: { ...code.files } };
  change(copy, codeCopy);
  return [copy, codeCopy];
}

const props = (t: Template, id: string) => t.Resources[id].Properties;
const event = (t: Template, id: string, name: string) => props(t, id).Events[name].Properties;

/** A deliberate mistake in the template (or a file of the code), and what its rule must report. */
interface Breakage {
  rule: RuleName;
  change: string;
  apply: (t: Template, code: CodeFacts) => void;
  expected: string;
}

const BREAKAGES: Breakage[] = [
  {
    rule: 'handlersResolve',
    change: 'a Handler names an export the code does not have',
    apply: (t) => {
      props(t, 'GetOrderFunction').Handler = 'index.main';
    },
    expected: 'GetOrderFunction: src/functions/get-order/index.ts does not export main',
  },
  {
    rule: 'handlersResolve',
    change: 'a CodeUri points where there is no code',
    apply: (t) => {
      props(t, 'GetOrderFunction').CodeUri = 'src/functions/get-orders';
    },
    expected: 'GetOrderFunction: src/functions/get-orders/index.ts does not exist',
  },
  {
    rule: 'handlersResolve',
    change: 'the schedule invokes a function whose code is not there',
    apply: (t) => {
      props(t, 'ReconcileOrdersFunction').CodeUri = 'src/functions/reconcile';
    },
    expected: 'ReconcileOrdersFunction: src/functions/reconcile/index.ts does not exist',
  },
  {
    rule: 'layersResolve',
    change: 'the layer is renamed without its Makefile target',
    apply: (t) => {
      t.Resources.OrdersLayer = t.Resources.SharedLayer;
      delete t.Resources.SharedLayer;
      t.Globals.Function.Layers = [{ Ref: 'OrdersLayer' }];
    },
    expected: 'OrdersLayer: src/layers/shared/Makefile has no build-OrdersLayer target',
  },
  {
    rule: 'layersResolve',
    change: 'a function runs on an architecture the layer is not built for',
    apply: (t) => {
      props(t, 'GetOrderFunction').Architectures = ['x86_64'];
    },
    expected: 'GetOrderFunction: SharedLayer is not built for x86_64',
  },
  {
    rule: 'environmentMatchesCode',
    change: 'a variable the code reads is not set',
    apply: (t) => {
      delete props(t, 'GetOrderFunction').Environment.Variables.ORDERS_TABLE;
    },
    expected: 'GetOrderFunction: its code reads ORDERS_TABLE, which is not set',
  },
  {
    rule: 'environmentMatchesCode',
    change: 'a function sets a variable its code never reads',
    apply: (t) => {
      props(t, 'ShipOrderFunction').Environment.Variables.STATE_MACHINE_ARN = {
        Ref: 'OrderWorkflow',
      };
    },
    expected: 'ShipOrderFunction: sets STATE_MACHINE_ARN, which its code never reads',
  },
  {
    rule: 'environmentMatchesCode',
    change: 'Globals stop setting a Powertools variable',
    apply: (t) => {
      delete t.Globals.Function.Environment.Variables.POWERTOOLS_SERVICE_NAME;
    },
    expected: 'CreateOrderFunction: its code reads POWERTOOLS_SERVICE_NAME, which is not set',
  },
  {
    rule: 'environmentMatchesCode',
    change: 'the reconciler loses its staleness threshold',
    apply: (t) => {
      delete props(t, 'ReconcileOrdersFunction').Environment.Variables.STALE_AFTER_SECONDS;
    },
    expected: 'ReconcileOrdersFunction: its code reads STALE_AFTER_SECONDS, which is not set',
  },
  {
    rule: 'environmentMatchesCode',
    change:
      'the DynamoDB endpoint variable is not declared (sam local invoke --env-vars ignores it)',
    apply: (t) => {
      delete t.Globals.Function.Environment.Variables.AWS_ENDPOINT_URL_DYNAMODB;
    },
    expected: 'CreateOrderFunction: its code reads AWS_ENDPOINT_URL_DYNAMODB, which is not set',
  },
  {
    rule: 'environmentMatchesCode',
    change: 'deployed functions are pointed at a local endpoint',
    apply: (t) => {
      t.Globals.Function.Environment.Variables.AWS_ENDPOINT_URL_SFN = 'http://localhost:8083';
    },
    expected:
      'StartWorkflowFunction: sets AWS_ENDPOINT_URL_SFN to "http://localhost:8083": in AWS it must be empty',
  },
  {
    rule: 'functionPoliciesMatchCode',
    change: 'a policy lacks an action the code can take (the idempotent retry reads)',
    apply: (t) => {
      props(t, 'CreateOrderFunction').Policies[0].Statement[0].Action = ['dynamodb:PutItem'];
    },
    expected:
      'CreateOrderFunction: its code needs dynamodb:GetItem on OrdersTable.Arn, which its policies do not allow',
  },
  {
    rule: 'functionPoliciesMatchCode',
    change: 'a policy allows an action the code never takes',
    apply: (t) => {
      props(t, 'GetOrderFunction').Policies[0].Statement[0].Action.push('dynamodb:DeleteItem');
    },
    expected:
      'GetOrderFunction: its policies allow dynamodb:DeleteItem on OrdersTable.Arn, which its code never needs',
  },
  {
    rule: 'functionPoliciesMatchCode',
    change: 'listing is allowed to query the table rather than its index',
    apply: (t) => {
      props(t, 'ListOrdersFunction').Policies[0].Statement[0].Resource = {
        'Fn::GetAtt': ['OrdersTable', 'Arn'],
      };
    },
    expected:
      'ListOrdersFunction: its code needs dynamodb:Query on OrdersTable.Arn/index/byCustomer',
  },
  {
    rule: 'functionPoliciesMatchCode',
    change: 'a transaction item is not allowed (the stock check of a backorder)',
    apply: (t) => {
      props(t, 'BackorderOrderFunction').Policies.splice(1, 1);
    },
    expected:
      'BackorderOrderFunction: its code needs dynamodb:ConditionCheckItem on InventoryTable.Arn',
  },
  {
    rule: 'functionPoliciesMatchCode',
    change: "a transaction's stock update is allowed on the wrong table",
    apply: (t) => {
      props(t, 'FailOrderFunction').Policies[1].Statement[0].Resource = {
        'Fn::GetAtt': ['OrdersTable', 'Arn'],
      };
    },
    expected: 'FailOrderFunction: its code needs dynamodb:UpdateItem on InventoryTable.Arn',
  },
  {
    rule: 'functionPoliciesMatchCode',
    change: 'redriving is allowed on the state machine rather than its executions',
    apply: (t) => {
      props(t, 'ReconcileOrdersFunction').Policies[3].Statement[0].Resource = {
        Ref: 'OrderWorkflow',
      };
    },
    expected: `ReconcileOrdersFunction: its code needs states:RedriveExecution on arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:OrderWorkflow.Name:*`,
  },
  {
    rule: 'stateMachinePoliciesMatchDefinition',
    change: 'the workflow may no longer invoke a task function',
    apply: (t) => {
      const policies = props(t, 'OrderWorkflow').Policies;
      const invoke = policies.findIndex(
        (p: { LambdaInvokePolicy?: { FunctionName: { Ref?: string } } }) =>
          p.LambdaInvokePolicy?.FunctionName.Ref === 'FailOrderFunction',
      );
      policies.splice(invoke, 1);
    },
    expected:
      'OrderWorkflow: its definition needs lambda:InvokeFunction on FailOrderFunction.Arn, which its policies do not allow',
  },
  {
    rule: 'stateMachinePoliciesMatchDefinition',
    change: 'the workflow may invoke a function it never calls',
    apply: (t) => {
      props(t, 'OrderWorkflow').Policies.push({
        LambdaInvokePolicy: { FunctionName: { Ref: 'CreateOrderFunction' } },
      });
    },
    expected: 'OrderWorkflow: its policies allow lambda:InvokeFunction on CreateOrderFunction.Arn',
  },
  {
    rule: 'stateMachinePoliciesMatchDefinition',
    change: 'the workflow may no longer update the table its RecordNotified states write',
    apply: (t) => {
      const policies = props(t, 'OrderWorkflow').Policies;
      const update = policies.findIndex((p: { Statement?: Array<{ Action: string[] }> }) =>
        p.Statement?.some((s) => s.Action.includes('dynamodb:UpdateItem')),
      );
      policies.splice(update, 1);
    },
    expected:
      'OrderWorkflow: its definition needs dynamodb:UpdateItem on OrdersTable.Arn, which its policies do not allow',
  },
  {
    rule: 'noWildcardPermissions',
    change: 'a statement allows every DynamoDB action',
    apply: (t) => {
      props(t, 'RestockFunction').Policies[0].Statement[0].Action = ['dynamodb:*'];
    },
    expected: 'RestockFunction: allows the wildcard action dynamodb:*',
  },
  {
    rule: 'noWildcardPermissions',
    change: 'a statement allows an action on every resource',
    apply: (t) => {
      props(t, 'StartWorkflowFunction').Policies[0].Statement[0].Resource = '*';
    },
    expected: 'StartWorkflowFunction: allows [states:StartExecution] on Resource "*"',
  },
  {
    rule: 'substitutionsMatchDefinition',
    change: 'a substitution is renamed',
    apply: (t) => {
      const substitutions = props(t, 'OrderWorkflow').DefinitionSubstitutions;
      substitutions.FailFunctionArn = substitutions.FailOrderFunctionArn;
      delete substitutions.FailOrderFunctionArn;
    },
    expected: 'OrderWorkflow: placeholder FailOrderFunctionArn has no substitution',
  },
  {
    rule: 'reconcilerOutwaitsRetries',
    change: 'the reconciler calls an order stalled while its task may still be retrying',
    apply: (t) => {
      props(t, 'ReconcileOrdersFunction').Environment.Variables.STALE_AFTER_SECONDS = '600';
    },
    expected:
      "ReconcileOrdersFunction: STALE_AFTER_SECONDS 600 does not exceed the 813s that OrderWorkflow's task",
  },
  {
    rule: 'reconcilerOutwaitsRetries',
    change: 'a happy-path task retries for longer',
    apply: (_, c) => {
      const definition = JSON.parse(c.files[WORKFLOW] ?? '');
      definition.States.ShipOrder.Retry[0].MaxAttempts = 20;
      c.files[WORKFLOW] = JSON.stringify(definition);
    },
    expected:
      "ReconcileOrdersFunction: STALE_AFTER_SECONDS 900 does not exceed the 1533s that OrderWorkflow's task ShipOrder",
  },
  {
    rule: 'queueSourcesSafe',
    change: "the consumer's timeout outgrows the queue's visibility timeout",
    apply: (t) => {
      props(t, 'RestockFunction').Timeout = 31;
    },
    expected: "StockArrivalsQueue: VisibilityTimeout 180s is under 6 x RestockFunction's Timeout",
  },
  {
    rule: 'queueSourcesSafe',
    change: 'the queue loses its dead-letter queue',
    apply: (t) => {
      delete props(t, 'StockArrivalsQueue').RedrivePolicy;
    },
    expected: 'StockArrivalsQueue: has no dead-letter queue',
  },
  {
    rule: 'streamSourcesSafe',
    change: 'the stream retries a failing batch forever',
    apply: (t) => {
      delete event(t, 'StartWorkflowFunction', 'OrderChanges').MaximumRetryAttempts;
    },
    expected: 'StartWorkflowFunction.OrderChanges: MaximumRetryAttempts must be 0 to 10000',
  },
  {
    rule: 'streamSourcesSafe',
    change: "the failure destination's Type is left out",
    apply: (t) => {
      delete event(t, 'ResumeBackordersFunction', 'StockChanges').DestinationConfig.OnFailure.Type;
    },
    expected: 'ResumeBackordersFunction.StockChanges: DestinationConfig.OnFailure.Type must be SQS',
  },
  {
    rule: 'streamFiltersMatchImages',
    change: 'the orders stream stops carrying the old image its resumption filter reads',
    apply: (t) => {
      props(t, 'OrdersTable').StreamSpecification.StreamViewType = 'NEW_IMAGE';
    },
    expected:
      "StartWorkflowFunction.OrderChanges: FilterCriteria.Filters[1] matches on OldImage, which OrdersTable's stream (NEW_IMAGE) lacks",
  },
  {
    rule: 'streamFiltersMatchImages',
    change: 'the inventory stream carries keys only',
    apply: (t) => {
      props(t, 'InventoryTable').StreamSpecification.StreamViewType = 'KEYS_ONLY';
    },
    expected:
      "ResumeBackordersFunction.StockChanges: FilterCriteria.Filters[0] matches on NewImage, which InventoryTable's stream (KEYS_ONLY) lacks",
  },
  {
    rule: 'streamFiltersMatchImages',
    change: 'a filter pattern is not JSON',
    apply: (t) => {
      const filters = event(t, 'StartWorkflowFunction', 'OrderChanges').FilterCriteria.Filters;
      filters[0].Pattern = filters[0].Pattern.replace('}}}}', '}}}');
    },
    expected:
      'StartWorkflowFunction.OrderChanges: FilterCriteria.Filters[0]: Pattern is not valid JSON',
  },
  {
    rule: 'apiRoutesAuthorized',
    change: 'a route opts out of authorization',
    apply: (t) => {
      event(t, 'GetOrderFunction', 'GetOrder').Auth = { Authorizer: 'NONE' };
    },
    expected: 'GetOrderFunction.GetOrder: GET /orders/{orderId} opts out of authorization',
  },
  {
    rule: 'apiRoutesAuthorized',
    change: 'a route requires a scope nobody can have',
    apply: (t) => {
      event(t, 'ListOrdersFunction', 'ListOrders').Auth.AuthorizationScopes = ['orders/list'];
    },
    expected: 'ListOrdersFunction.ListOrders: scope orders/list is not declared',
  },
  {
    rule: 'apiRoutesAuthorized',
    change: 'the API has no default authorizer',
    apply: (t) => {
      delete props(t, 'OrdersApi').Auth.DefaultAuthorizer;
    },
    expected: 'OrdersApi: Auth.DefaultAuthorizer is not set',
  },
  {
    rule: 'apiRoutesAuthorized',
    change: 'the authorizer parameter is used without AWS::LanguageExtensions',
    apply: (t) => {
      t.Transform = 'AWS::Serverless-2016-10-31';
    },
    expected:
      'OrdersApi: Auth.DefaultAuthorizer is {"Ref":"Authorizer"}, which the SAM transform accepts only after AWS::LanguageExtensions',
  },
  {
    rule: 'apiRoutesAuthorized',
    change: 'the Lambda authorizer is what deploys',
    apply: (t) => {
      t.Parameters.Authorizer.Default = 'LambdaAuthorizer';
    },
    expected:
      'OrdersApi: Auth.DefaultAuthorizer is LambdaAuthorizer by default, not a JWT authorizer',
  },
  {
    rule: 'apiRoutesAuthorized',
    change: 'the authorizer parameter allows a name the API has no authorizer for',
    apply: (t) => {
      t.Parameters.Authorizer.AllowedValues.push('OrdersAuthorizer');
    },
    expected:
      'OrdersApi: Auth.DefaultAuthorizer can be OrdersAuthorizer, which is not a JWT or Lambda authorizer',
  },
  {
    rule: 'lambdaAuthorizersMatchRoutes',
    change: "a route's scope changes and the Lambda authorizer is not told",
    apply: (t) => {
      event(t, 'ListOrdersFunction', 'ListOrders').Auth.AuthorizationScopes = ['orders/write'];
    },
    expected:
      'AuthorizeRequestFunction: ROUTE_SCOPES gives GET /orders ["orders/read"], the route requires ["orders/write"]',
  },
  {
    rule: 'lambdaAuthorizersMatchRoutes',
    change: 'the Lambda authorizer caches its answers by token only',
    apply: (t) => {
      props(t, 'OrdersApi').Auth.Authorizers.LambdaAuthorizer.Identity.ReauthorizeEvery = 300;
    },
    expected:
      'OrdersApi.LambdaAuthorizer: caches by token alone (ReauthorizeEvery 300): add routeKey to Identity.Context',
  },
  {
    rule: 'lambdaAuthorizersMatchRoutes',
    change: 'the Lambda authorizer trusts another issuer than the JWT authorizer',
    apply: (t) => {
      props(t, 'AuthorizeRequestFunction').Environment.Variables.JWT_ISSUER = { Ref: 'JwtIssuer' };
    },
    expected: "AuthorizeRequestFunction: JWT_ISSUER is not the JWT authorizer's issuer",
  },
  {
    rule: 'lambdaAuthorizersMatchRoutes',
    change: 'API Gateway is not allowed to invoke the Lambda authorizer',
    apply: (t) => {
      delete props(t, 'OrdersApi').Auth.Authorizers.LambdaAuthorizer
        .EnableFunctionDefaultPermissions;
    },
    expected: 'OrdersApi.LambdaAuthorizer: EnableFunctionDefaultPermissions must be true',
  },
  {
    rule: 'apiThrottledAndLogged',
    change: 'the API is not throttled',
    apply: (t) => {
      delete props(t, 'OrdersApi').DefaultRouteSettings;
    },
    expected: 'OrdersApi: DefaultRouteSettings must set',
  },
  {
    rule: 'apiThrottledAndLogged',
    change: 'the API writes no access logs',
    apply: (t) => {
      delete props(t, 'OrdersApi').AccessLogSettings;
    },
    expected: 'OrdersApi: AccessLogSettings needs',
  },
  {
    rule: 'tracingEnabled',
    change: 'Globals stop tracing functions',
    apply: (t) => {
      t.Globals.Function.Tracing = 'PassThrough';
    },
    expected: 'CreateOrderFunction: Tracing is not Active',
  },
  {
    rule: 'tracingEnabled',
    change: 'the state machine is not traced',
    apply: (t) => {
      props(t, 'OrderWorkflow').Tracing.Enabled = false;
    },
    expected: 'OrderWorkflow: Tracing.Enabled is not true',
  },
  {
    rule: 'logsRetained',
    change: 'a log group keeps its logs forever',
    apply: (t) => {
      delete props(t, 'FunctionsLogGroup').RetentionInDays;
    },
    expected: 'FunctionsLogGroup: has no RetentionInDays',
  },
  {
    rule: 'logsRetained',
    change: 'functions log to the log groups Lambda creates',
    apply: (t) => {
      delete t.Globals.Function.LoggingConfig.LogGroup;
    },
    expected: 'RestockFunction: LoggingConfig.LogGroup is not a log group of this template',
  },
  {
    rule: 'messagesEncrypted',
    change: 'a queue is not encrypted',
    apply: (t) => {
      props(t, 'StockArrivalsQueue').SqsManagedSseEnabled = false;
    },
    expected: 'StockArrivalsQueue: set SqsManagedSseEnabled',
  },
  {
    rule: 'messagesEncrypted',
    change: 'the topic is not encrypted',
    apply: (t) => {
      delete props(t, 'OrderEventsTopic').KmsMasterKeyId;
    },
    expected: 'OrderEventsTopic: set KmsMasterKeyId',
  },
  {
    rule: 'tablesProtected',
    change: 'point-in-time recovery is off',
    apply: (t) => {
      props(t, 'OrdersTable').PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled = false;
    },
    expected: 'OrdersTable: PointInTimeRecoveryEnabled is not true',
  },
  {
    rule: 'dataRetained',
    change: 'deleting the stack deletes a table',
    apply: (t) => {
      t.Resources.InventoryTable.DeletionPolicy = 'Delete';
    },
    expected: 'InventoryTable: DeletionPolicy is not Retain',
  },
  {
    rule: 'dataRetained',
    change: 'replacing the orders table deletes the old one',
    apply: (t) => {
      delete t.Resources.OrdersTable.UpdateReplacePolicy;
    },
    expected: 'OrdersTable: UpdateReplacePolicy is not Retain',
  },
  {
    rule: 'dataRetained',
    change: 'deleting the stack deletes every customer account',
    apply: (t) => {
      t.Resources.UserPool.DeletionPolicy = 'Delete';
    },
    expected: 'UserPool: DeletionPolicy is not Retain',
  },
  {
    rule: 'aliasFollowsLayers',
    change: 'the alias moves only when the function itself changes',
    apply: (t) => {
      delete props(t, 'CreateOrderFunction').AutoPublishAliasAllProperties;
    },
    expected: 'CreateOrderFunction: AutoPublishAliasAllProperties is not true',
  },
  {
    rule: 'aliasFollowsLayers',
    change: "the layer's content is not part of the function version",
    apply: (t) => {
      delete props(t, 'SharedLayer').PublishLambdaVersion;
    },
    expected: 'CreateOrderFunction: its layer SharedLayer does not set PublishLambdaVersion',
  },
  {
    rule: 'deploymentParametersChecked',
    change: 'an external issuer may come without an audience',
    apply: (t) => {
      delete t.Rules.AudienceWithIssuer;
    },
    expected:
      'Rules: accept {"JwtIssuer":"https://issuer.example.com","JwtAudience":""}, which deploys an authorizer no token can pass',
  },
  {
    rule: 'deploymentParametersChecked',
    change: 'prod may keep the localhost CORS origin',
    apply: (t) => {
      delete t.Rules.ProdCorsOrigin;
    },
    expected: 'Rules: accept {"Stage":"prod"}, which deploys a production API',
  },
  {
    rule: 'runtimesCurrent',
    change: 'functions run on a deprecated runtime',
    apply: (t) => {
      t.Globals.Function.Runtime = 'nodejs20.x';
    },
    expected: 'CreateOrderFunction: nodejs20.x is deprecated',
  },
];

const ruleNames = Object.keys(RULES) as RuleName[];

describe('template.yaml agrees with the code', () => {
  it.each(ruleNames)('%s', (rule) => {
    expect(RULES[rule](template, code)).toEqual([]);
  });
});

describe('each rule catches the mistake it is for', () => {
  it.each(BREAKAGES)('$rule: $change', ({ rule, apply, expected }) => {
    const violation = expect.stringContaining(expected);
    expect(RULES[rule](template, code)).not.toContainEqual(violation);
    expect(RULES[rule](...broken(apply))).toContainEqual(violation);
  });

  it('breaks the template at least once for every rule', () => {
    const covered = new Set(BREAKAGES.map((b) => b.rule));
    expect(ruleNames.filter((rule) => !covered.has(rule))).toEqual([]);
  });
});

/** An access as one line: `dynamodb:Query ORDERS_TABLE/index/byCustomer`. */
const describeAccess = ({ action, envVar, index, executions }: Access) =>
  `${action} ${envVar}${index ? `/index/${index}` : ''}${executions ? ' executions' : ''}`;

describe('code facts', () => {
  // Examples of what the IAM rule compares with: the analysis reaches every branch (creating
  // an order reads it back only on an idempotent retry), follows each transaction item to the
  // table it names, and tells an index from its table and executions from their state machine.
  it.each([
    [
      'src/functions/create-order',
      [
        'dynamodb:BatchGetItem INVENTORY_TABLE',
        'dynamodb:GetItem ORDERS_TABLE',
        'dynamodb:PutItem ORDERS_TABLE',
      ],
    ],
    ['src/functions/list-orders', ['dynamodb:Query ORDERS_TABLE/index/byCustomer']],
    [
      'src/functions/backorder-order',
      [
        'dynamodb:ConditionCheckItem INVENTORY_TABLE',
        'dynamodb:GetItem ORDERS_TABLE',
        'dynamodb:PutItem ORDERS_TABLE',
        'dynamodb:UpdateItem ORDERS_TABLE',
      ],
    ],
    [
      'src/functions/reconcile-orders',
      [
        'dynamodb:GetItem ORDERS_TABLE',
        'dynamodb:Query ORDERS_TABLE/index/inFlight',
        'dynamodb:UpdateItem ORDERS_TABLE',
        'states:DescribeExecution STATE_MACHINE_ARN executions',
        'states:RedriveExecution STATE_MACHINE_ARN executions',
        'states:StartExecution STATE_MACHINE_ARN',
      ],
    ],
    ['src/functions/add-token-scopes', []],
  ])('%s can take %j', (dir, actions) => {
    expect((code.functions[dir]?.access ?? []).map(describeAccess)).toEqual(actions);
  });
});

describe('the access analysis', () => {
  const SHARED = join(ROOT, 'src', 'layers', 'shared', 'src');
  const LEDGER = join(SHARED, 'adapters', 'dynamodb-ledger.ts');
  const REPOSITORY = join(SHARED, 'adapters', 'dynamodb-orders.ts');
  const BACKORDER = join(ROOT, 'src', 'functions', 'backorder-order', 'index.ts');

  // Anything the analysis cannot map must stop it, never be skipped or guessed: backorder-order
  // analysed with one file of its code edited.
  it.each([
    [
      'a command it has no IAM action for',
      REPOSITORY,
      (s: string) =>
        s.replace('new GetCommand(', 'new ScanCommand(').replace('  GetCommand,', '  ScanCommand,'),
      'no IAM action known for ScanCommand: add it to SDK_COMMANDS',
    ],
    [
      'a table name that does not come from requireEnv',
      LEDGER,
      (s: string) => s.replace(/(Put: \{\s+TableName: )tables\.orders/, "$1'Orders'"),
      'cannot tell which resource TableName names',
    ],
    [
      'a table object bound without requireEnv',
      BACKORDER,
      (s: string) =>
        s.replace("inventory: requireEnv('INVENTORY_TABLE')", "inventory: 'Inventory'"),
      "tables.inventory is not one requireEnv('NAME') where dynamoOrderLedger is called",
    ],
    [
      'a transaction item of a kind it does not know',
      LEDGER,
      (s: string) => s.replace('ConditionCheck: {', 'Check: {'),
      "a TableName outside a command's input or a transaction item",
    ],
  ])('refuses %s', (_, file, edit, message) => {
    const source = ts.sys.readFile(file) ?? '';
    const edited = edit(source);
    expect(edited).not.toEqual(source); // the edit still applies to the code as it is now
    expect(() => analyseAccess([BACKORDER], { [file]: edited })).toThrow(message);
  });
});
