import { existsSync } from 'node:fs';
import { loadTemplate, type Template } from '../../local/template';
import {
  applyGlobals,
  type GuardReport,
  guardBinary,
  guardTemplates,
  guardVersion,
  mergeGlobal,
  ruleCatalog,
} from '../../scripts/guard';

const template = loadTemplate();

/** A changed copy of the template (through JSON: YAML aliases share objects). */
function broken(change: (copy: Template) => void): Template {
  const copy = JSON.parse(JSON.stringify(template)) as Template;
  change(copy);
  return copy;
}

const props = (t: Template, id: string) => t.Resources[id].Properties;

/** A deliberate mistake, the guard rule that must catch it, and the resource it must name. */
interface Breakage {
  rule: string;
  resource: string;
  change: string;
  apply: (t: Template) => void;
}

const BREAKAGES: Breakage[] = [
  {
    rule: 'dynamodb_table_pitr_enabled_check',
    resource: 'OrdersTable',
    change: 'point-in-time recovery is off',
    apply: (t) => {
      props(t, 'OrdersTable').PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled = false;
    },
  },
  {
    rule: 'sqs_queue_encrypted_check',
    resource: 'StockArrivalsQueue',
    change: 'server-side encryption is off',
    apply: (t) => {
      props(t, 'StockArrivalsQueue').SqsManagedSseEnabled = false;
    },
  },
  {
    rule: 'sqs_dlq_check',
    resource: 'StockArrivalsQueue',
    change: 'the queue has no dead-letter queue',
    apply: (t) => {
      delete props(t, 'StockArrivalsQueue').RedrivePolicy;
    },
  },
  {
    rule: 'sam_function_tracing_check',
    resource: 'CreateOrderFunction',
    change: 'Globals stop tracing functions',
    apply: (t) => {
      t.Globals.Function.Tracing = 'PassThrough';
    },
  },
  {
    rule: 'sam_function_tracing_check',
    resource: 'RestockFunction',
    change: 'one function overrides the Globals tracing',
    apply: (t) => {
      props(t, 'RestockFunction').Tracing = 'PassThrough';
    },
  },
  {
    rule: 'sam_function_stream_failure_destination_check',
    resource: 'StartWorkflowFunction',
    change: 'the stream source keeps no failed batches',
    apply: (t) => {
      delete props(t, 'StartWorkflowFunction').Events.OrderChanges.Properties.DestinationConfig;
    },
  },
  {
    rule: 'sam_function_async_failure_destination_check',
    resource: 'RestockFunction',
    change: 'an SNS subscription without a dead-letter queue',
    apply: (t) => {
      props(t, 'RestockFunction').Events.Announcements = {
        Type: 'SNS',
        Properties: { Topic: { Ref: 'OrderEventsTopic' } },
      };
    },
  },
  {
    rule: 'sam_policy_wildcard_action_check',
    resource: 'RestockFunction',
    change: 'a statement allows every DynamoDB action',
    apply: (t) => {
      props(t, 'RestockFunction').Policies[0].Statement[0].Action = 'dynamodb:*';
    },
  },
  {
    rule: 'sam_httpapi_throttling_check',
    resource: 'OrdersApi',
    change: 'the API is not throttled',
    apply: (t) => {
      delete props(t, 'OrdersApi').DefaultRouteSettings;
    },
  },
  {
    rule: 'sam_httpapi_default_authorizer_check',
    resource: 'OrdersApi',
    change: 'the API has no default authorizer',
    apply: (t) => {
      delete props(t, 'OrdersApi').Auth.DefaultAuthorizer;
    },
  },
  {
    rule: 'sam_httpapi_route_authorization_check',
    resource: 'GetOrderFunction',
    change: 'a route opts out of authorization',
    apply: (t) => {
      props(t, 'GetOrderFunction').Events.GetOrder.Properties.Auth = { Authorizer: 'NONE' };
    },
  },
  {
    rule: 'sam_httpapi_access_logs_check',
    resource: 'OrdersApi',
    change: 'the API writes no access logs',
    apply: (t) => {
      delete props(t, 'OrdersApi').AccessLogSettings;
    },
  },
  {
    rule: 'sam_state_machine_tracing_check',
    resource: 'OrderWorkflow',
    change: 'the state machine is not traced',
    apply: (t) => {
      props(t, 'OrderWorkflow').Tracing.Enabled = false;
    },
  },
  {
    rule: 'sam_state_machine_logging_check',
    resource: 'OrderWorkflow',
    change: 'the state machine logs nothing',
    apply: (t) => {
      props(t, 'OrderWorkflow').Logging.Level = 'OFF';
    },
  },
];

/** The resources a rule failed on (suppressed or not) in a report. */
const failingOn = (report: GuardReport | undefined, rule: string) =>
  report?.rules.find((r) => r.name === rule)?.resources ?? [];

describe('cfn-guard', () => {
  let reports: Record<string, GuardReport>;

  beforeAll(() => {
    // The real template against every rule, with the suppressions. The broken copies only
    // against the files of the rules they break, without suppressions: the point is that each
    // rule fails by itself, and a copy takes half a second against all 247 rules.
    const catalog = ruleCatalog();
    const rulePaths = [...new Set(BREAKAGES.map((b) => catalog.get(b.rule)?.file ?? b.rule))];
    const copies = Object.fromEntries(BREAKAGES.map((b, i) => [`breakage ${i}`, broken(b.apply)]));
    reports = {
      ...guardTemplates({ real: template }),
      ...guardTemplates(copies, { rulePaths, suppressions: {} }),
    };
  });

  it('finds no unsuppressed failure, and no stale suppression, in template.yaml', () => {
    const report = reports.real as GuardReport;
    expect(report.failures.map((r) => `${r.control} ${r.name}: ${r.resources}`)).toEqual([]);
    expect(report.unusedSuppressions).toEqual([]);
  });

  it('evaluates every Control Tower rule and every project rule', () => {
    const sources = (reports.real as GuardReport).rules.map((r) => r.source);
    expect(sources.filter((s) => s === 'Control Tower').length).toBeGreaterThan(200);
    expect(sources.filter((s) => s === 'project')).toHaveLength(10);
  });

  it.each(BREAKAGES.map((b, i) => ({ ...b, key: `breakage ${i}` })))(
    '$rule catches: $change',
    ({ rule, resource, key }) => {
      expect(failingOn(reports.real, rule)).not.toContain(resource);
      expect(failingOn(reports[key], rule)).toContain(resource);
    },
  );

  it('breaks the template at least once for every project rule', () => {
    const project = (reports.real as GuardReport).rules.filter((r) => r.source === 'project');
    const covered = new Set(BREAKAGES.map((b) => b.rule));
    expect(project.map((r) => r.name).filter((name) => !covered.has(name))).toEqual([]);
  });
});

describe('the cfn-guard binary', () => {
  it('is shipped for Linux and macOS on x86_64 and arm64', () => {
    expect(guardBinary('linux', 'x64')).toMatch(/bin\/ubuntu\/x86_64\/cfn-guard$/);
    expect(guardBinary('linux', 'arm64')).toMatch(/bin\/ubuntu\/aarch64\/cfn-guard$/);
    expect(guardBinary('darwin', 'arm64')).toMatch(/bin\/macos\/aarch64\/cfn-guard$/);
    expect(existsSync(guardBinary('linux', 'x64'))).toBe(true);
    expect(() => guardBinary('win32', 'x64')).toThrow('no build for win32/x64');
  });

  it('runs on this machine', () => {
    expect(guardVersion()).toMatch(/^cfn-guard \d+\.\d+\.\d+$/);
  });
});

describe('Globals, merged as SAM merges them', () => {
  it('merges maps, joins lists (globals first) and lets the resource win otherwise', () => {
    const global = { Timeout: 10, Layers: ['a'], Environment: { Variables: { A: '1', B: '1' } } };
    const local = { Timeout: 30, Layers: ['b'], Environment: { Variables: { B: '2' } } };
    expect(mergeGlobal(global, local)).toEqual({
      Timeout: 30,
      Layers: ['a', 'b'],
      Environment: { Variables: { A: '1', B: '2' } },
    });
  });

  it('treats an intrinsic function as one value', () => {
    expect(
      mergeGlobal({ LogGroup: { Ref: 'A' } }, { LogGroup: { 'Fn::GetAtt': ['B', 'Arn'] } }),
    ).toEqual({ LogGroup: { 'Fn::GetAtt': ['B', 'Arn'] } });
  });

  it('gives every function the settings of Globals.Function', () => {
    const restock = applyGlobals(template).Resources.RestockFunction.Properties;
    expect(restock).toMatchObject({ Runtime: 'nodejs24.x', Tracing: 'Active', Timeout: 30 });
    expect(Object.keys(restock.Environment.Variables)).toContain('POWERTOOLS_SERVICE_NAME');
  });
});
