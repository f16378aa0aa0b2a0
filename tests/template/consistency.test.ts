import { loadTemplate, type Template } from '../../local/template';
import { type CodeFacts, collectCodeFacts } from './code-facts';
import { RULES, type RuleName } from './rules';

const template = loadTemplate();
let code: CodeFacts;

beforeAll(() => {
  code = collectCodeFacts();
});

/**
 * A changed copy of the template. Copied through JSON rather than structuredClone: the YAML
 * alias `*esbuild` makes the functions share one Metadata object, and a change to one function
 * must not reach the others.
 */
function broken(change: (copy: Template) => void): Template {
  const copy = JSON.parse(JSON.stringify(template)) as Template;
  change(copy);
  return copy;
}

const props = (t: Template, id: string) => t.Resources[id].Properties;
const event = (t: Template, id: string, name: string) => props(t, id).Events[name].Properties;

/** A deliberate mistake in the template, and the violation its rule must report. */
interface Breakage {
  rule: RuleName;
  change: string;
  apply: (t: Template) => void;
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
    rule: 'stateMachinePoliciesMatchDefinition',
    change: 'the workflow may no longer invoke a task function',
    apply: (t) => {
      props(t, 'OrderWorkflow').Policies.splice(3, 1);
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
      delete event(t, 'StartWorkflowFunction', 'NewOrders').MaximumRetryAttempts;
    },
    expected: 'StartWorkflowFunction.NewOrders: MaximumRetryAttempts must be 0 to 10000',
  },
  {
    rule: 'streamSourcesSafe',
    change: "the failure destination's Type is left out",
    apply: (t) => {
      delete event(t, 'StartWorkflowFunction', 'NewOrders').DestinationConfig.OnFailure.Type;
    },
    expected: 'StartWorkflowFunction.NewOrders: DestinationConfig.OnFailure.Type must be SQS',
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
    expected: 'OrdersApi: Auth.DefaultAuthorizer is not a JWT authorizer',
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
    rule: 'tablesProtected',
    change: 'deleting the stack deletes a table',
    apply: (t) => {
      t.Resources.InventoryTable.DeletionPolicy = 'Delete';
    },
    expected: 'InventoryTable: DeletionPolicy is not Retain',
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
    expect(RULES[rule](broken(apply), code)).toContainEqual(expect.stringContaining(expected));
  });

  it('breaks the template at least once for every rule', () => {
    const covered = new Set(BREAKAGES.map((b) => b.rule));
    expect(ruleNames.filter((rule) => !covered.has(rule))).toEqual([]);
  });
});

describe('code facts', () => {
  // Examples of what the IAM rule compares with: the analysis reaches every branch (creating
  // an order reads it back only on an idempotent retry) and tells an index from its table.
  it.each([
    ['src/functions/create-order', ['dynamodb:GetItem', 'dynamodb:PutItem']],
    ['src/functions/list-orders', ['dynamodb:Query /index/byCustomer']],
    ['src/functions/add-token-scopes', []],
  ])('%s can take %j', (dir, actions) => {
    const access = code.functions[dir]?.access ?? [];
    expect(access.map((a) => `${a.action}${a.index ? ` /index/${a.index}` : ''}`)).toEqual(actions);
  });
});
