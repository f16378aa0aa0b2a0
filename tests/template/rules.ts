import { posix } from 'node:path';
import { type ResolveContext, resolve } from '../../local/resolve';
import type { Template } from '../../local/template';
import { applyGlobals } from '../../scripts/guard';
import type { Access } from './code-access';
import type { CodeFacts } from './code-facts';

/**
 * Consistency rules between template.yaml and the code. Each rule is a pure function of the
 * parsed template (CloudFormation tags in long form: `{ Ref: 'X' }`) and the code facts, and
 * returns its violations as sentences naming the resource at fault: an empty list means the
 * template and the code agree.
 */
export type Rule = (template: Template, code: CodeFacts) => string[];

// biome-ignore lint/suspicious/noExplicitAny: template values are untyped YAML.
type Props = Record<string, any>;

const FUNCTION = 'AWS::Serverless::Function';
const STATE_MACHINE = 'AWS::Serverless::StateMachine';
const HTTP_API = 'AWS::Serverless::HttpApi';
const LOG_GROUP = 'AWS::Logs::LogGroup';
const QUEUE = 'AWS::SQS::Queue';
const TOPIC = 'AWS::SNS::Topic';
const TABLE = 'AWS::DynamoDB::Table';

// ------------------------------------------------------------------------------------------------
// Reading the template
// ------------------------------------------------------------------------------------------------

/** A value as a list: CloudFormation accepts one item or a list in many places. */
const asList = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The resources of one type, with Globals applied as SAM applies them: [logical id, Properties]. */
function resourcesOfType(template: Template, type: string): Array<[string, Props]> {
  return Object.entries(applyGlobals(template).Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

/** The logical id a `!Ref X` or `!GetAtt X.Attr` points at. */
function targetOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { Ref: ref, 'Fn::GetAtt': getAtt } = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof ref === 'string') return ref;
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** True when `value` points at a resource of the given type in this template. */
function pointsAt(template: Template, value: unknown, type: string): boolean {
  const target = targetOf(value);
  return target !== undefined && template.Resources[target]?.Type === type;
}

/** Resource types whose `!Ref` is their ARN. */
const REF_IS_ARN = new Set([STATE_MACHINE, 'AWS::StepFunctions::StateMachine', TOPIC]);

/**
 * An IAM Resource written in a comparable form: `OrdersTable.Arn`,
 * `OrdersTable.Arn/index/byCustomer`, `*`; pseudo parameters stay as written (`${AWS::Region}`).
 */
function arnOf(template: Template, value: unknown): string {
  if (typeof value === 'string') return value;
  const { Ref: ref, 'Fn::Sub': sub } = (value ?? {}) as { Ref?: string; 'Fn::Sub'?: unknown };
  if (ref !== undefined) {
    return REF_IS_ARN.has(template.Resources[ref]?.Type) ? `${ref}.Arn` : `${ref}.Ref`;
  }
  if (typeof sub === 'string') {
    return sub.replace(/\$\{([\w:.]+)\}/g, (whole, name: string) =>
      name.startsWith('AWS::') ? whole : name.includes('.') ? name : arnOf(template, { Ref: name }),
    );
  }
  const target = targetOf(value);
  if (target) return `${target}.${(value as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][1]}`;
  return JSON.stringify(value);
}

/** Events of the given types: [function id, event name, event Properties, function Properties]. */
function eventsOf(template: Template, type: string | string[]) {
  const types = asList(type);
  return resourcesOfType(template, FUNCTION).flatMap(([id, fn]) =>
    Object.entries((fn.Events ?? {}) as Record<string, Props>)
      .filter(([, event]) => types.includes(event.Type))
      .map(([name, event]) => [id, name, event.Properties ?? {}, fn] as const),
  );
}

/** The code directory of a function, as the code facts key it. */
const codeDir = (codeUri: unknown) => posix.normalize(String(codeUri)).replace(/\/$/, '');

// ------------------------------------------------------------------------------------------------
// a. Code and layers
// ------------------------------------------------------------------------------------------------

/** True when the source exports `name` as a function or constant. */
function exportsName(source: string, name: string): boolean {
  return [
    new RegExp(`export\\s+(const|let|var)\\s+${name}\\b`),
    new RegExp(`export\\s+(async\\s+)?function\\s*\\*?\\s*${name}\\b`),
    new RegExp(`export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`),
  ].some((pattern) => pattern.test(source));
}

/**
 * Each function's CodeUri, Handler and esbuild EntryPoints lead to a source file that exports
 * the handler: `index.handler` needs an entry point `index.ts` (esbuild writes `index.js`) that
 * exports `handler`. A SAM event belongs to the function it invokes, so this also covers every
 * event source's target, the ScheduleV2 schedules included.
 */
export const handlersResolve: Rule = (template, code) => {
  const violations: string[] = [];
  for (const [id, fn] of resourcesOfType(template, FUNCTION)) {
    const handler = String(fn.Handler ?? '');
    const dot = handler.lastIndexOf('.');
    const [module, exportName] = [handler.slice(0, dot), handler.slice(dot + 1)];
    const metadata = template.Resources[id].Metadata ?? {};
    if (metadata.BuildMethod !== 'esbuild') {
      violations.push(`${id}: is not built with esbuild (Metadata.BuildMethod)`);
      continue;
    }
    const entryPoints = asList(metadata.BuildProperties?.EntryPoints).map(String);
    const entry = entryPoints.find((e) => posix.basename(e, posix.extname(e)) === module);
    if (!fn.CodeUri || dot < 1 || !entry) {
      violations.push(
        `${id}: Handler ${handler} needs an entry point named ${module} among [${entryPoints}]`,
      );
      continue;
    }
    const path = `${codeDir(fn.CodeUri)}/${entry}`;
    const source = code.files[path];
    if (source === undefined) violations.push(`${id}: ${path} does not exist`);
    else if (!exportsName(source, exportName)) {
      violations.push(`${id}: ${path} does not export ${exportName}`);
    }
  }
  return violations;
};

/**
 * Every layer a function uses (Globals.Function.Layers and its own) is a layer of this template,
 * fits the function's runtime and architecture, and has a Makefile target to build it
 * (`build-<LogicalId>:` in ContentUri/Makefile, what `sam build` runs for BuildMethod makefile).
 */
export const layersResolve: Rule = (template, code) => {
  const violations: string[] = [];
  const layers = new Map(resourcesOfType(template, 'AWS::Serverless::LayerVersion'));
  const used = new Set<string>();
  for (const [id, fn] of resourcesOfType(template, FUNCTION)) {
    for (const ref of asList(fn.Layers)) {
      const layerId = targetOf(ref);
      const layer = layerId ? layers.get(layerId) : undefined;
      if (!layerId || !layer) {
        violations.push(`${id}: layer ${JSON.stringify(ref)} is not a layer of this template`);
        continue;
      }
      used.add(layerId);
      if (!asList(layer.CompatibleRuntimes).includes(fn.Runtime)) {
        violations.push(`${id}: ${layerId} is not built for ${fn.Runtime}`);
      }
      for (const arch of asList(fn.Architectures ?? ['x86_64'])) {
        if (!asList(layer.CompatibleArchitectures).includes(arch)) {
          violations.push(`${id}: ${layerId} is not built for ${arch}`);
        }
      }
    }
  }
  for (const layerId of used) {
    const makefile = `${codeDir(layers.get(layerId)?.ContentUri)}/Makefile`;
    const metadata = template.Resources[layerId].Metadata ?? {};
    if (metadata.BuildMethod !== 'makefile') {
      violations.push(`${layerId}: is not built with its Makefile (Metadata.BuildMethod)`);
    } else if (!new RegExp(`^build-${layerId}:`, 'm').test(code.files[makefile] ?? '')) {
      violations.push(`${layerId}: ${makefile} has no build-${layerId} target`);
    }
  }
  return violations;
};

// ------------------------------------------------------------------------------------------------
// b. Environment variables
// ------------------------------------------------------------------------------------------------

/**
 * The variable each AWS service's SDK client takes its endpoint from, by IAM service prefix:
 * `AWS_ENDPOINT_URL_<service id>`. https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export const ENDPOINT_VARIABLES: Record<string, string> = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  states: 'AWS_ENDPOINT_URL_SFN',
};

/** The endpoint variables the SDK clients of a function's code read: one per service it calls. */
function endpointReads(access: Access[]): { reads: string[]; unknown: string[] } {
  const services = [...new Set(access.map((a) => a.action.split(':')[0] as string))];
  return {
    reads: services.flatMap((s) => (ENDPOINT_VARIABLES[s] ? [ENDPOINT_VARIABLES[s]] : [])),
    unknown: services.filter((s) => !ENDPOINT_VARIABLES[s]),
  };
}

/**
 * Each function's environment is what its code reads: every variable it reads is set (by the
 * function or by Globals), and every variable the function sets is read. Globals go to every
 * function and SAM cannot withhold them from one, so a Globals variable only has to be read by
 * some function.
 *
 * The SDK clients read `AWS_ENDPOINT_URL_<service>` for each service the code calls: declared
 * (SAM CLI passes `sam local invoke --env-vars` values only for declared variables) and empty in
 * the template (the SDK then uses the service's own endpoint; a value would send the deployed
 * function's calls there).
 */
export const environmentMatchesCode: Rule = (template, code) => {
  const violations: string[] = [];
  const readBySome = new Set<string>();
  for (const [id, fn] of resourcesOfType(template, FUNCTION)) {
    const facts = code.functions[codeDir(fn.CodeUri)];
    if (!facts) {
      violations.push(`${id}: no code found at ${fn.CodeUri}`);
      continue;
    }
    const endpoints = endpointReads(facts.access);
    for (const service of endpoints.unknown) {
      violations.push(
        `${id}: calls ${service}, whose endpoint variable is unknown: add it to ENDPOINT_VARIABLES`,
      );
    }
    const reads = [...facts.envReads, ...endpoints.reads];
    for (const name of reads) readBySome.add(name);
    const variables: Props = fn.Environment?.Variables ?? {};
    const set = Object.keys(variables);
    const own = Object.keys(template.Resources[id].Properties?.Environment?.Variables ?? {});
    for (const name of reads.filter((n) => !set.includes(n))) {
      violations.push(`${id}: its code reads ${name}, which is not set`);
    }
    for (const name of own.filter((n) => !reads.includes(n))) {
      violations.push(`${id}: sets ${name}, which its code never reads`);
    }
    for (const name of endpoints.reads.filter((n) => n in variables && variables[n] !== '')) {
      violations.push(
        `${id}: sets ${name} to ${JSON.stringify(variables[name])}: in AWS it must be empty`,
      );
    }
  }
  const globals = Object.keys(template.Globals?.Function?.Environment?.Variables ?? {});
  for (const name of globals.filter((n) => !readBySome.has(n))) {
    violations.push(`Globals.Function: sets ${name}, which no function reads`);
  }
  return violations;
};

// ------------------------------------------------------------------------------------------------
// c. IAM
// ------------------------------------------------------------------------------------------------

/**
 * The actions Step Functions needs to deliver logs to CloudWatch Logs. They have no resource-level
 * permissions, so AWS documents them with Resource "*".
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 */
export const LOGS_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

/**
 * What the SAM policy templates we use grant, as `action on resource`.
 * https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-template-list.html
 */
const POLICY_TEMPLATES: Record<string, (parameters: Props) => string[]> = {
  // Resource arn:...:function:${FunctionName}*: the function, its versions and aliases.
  LambdaInvokePolicy: ({ FunctionName }) => [
    `lambda:InvokeFunction on ${targetOf(FunctionName)}.Arn`,
  ],
  SNSPublishMessagePolicy: ({ TopicName }) => [`sns:Publish on ${targetOf(TopicName)}.Arn`],
};

/** Every statement of a SAM resource's inline policies. */
function statementsOf(policies: unknown): Props[] {
  return asList(policies).flatMap((policy) =>
    typeof policy === 'object' && policy !== null && 'Statement' in policy
      ? (asList((policy as Props).Statement) as Props[])
      : [],
  );
}

/** What a SAM Policies list allows, as `action on resource`, and what cannot be read. */
function grantsOf(template: Template, policies: unknown) {
  const grants = new Set<string>();
  const unreadable: string[] = [];
  for (const policy of asList(policies)) {
    if (typeof policy !== 'object' || policy === null) {
      unreadable.push(`managed policy ${policy} cannot be checked against the code`);
    } else if ('Statement' in policy) {
      for (const statement of statementsOf([policy]).filter((s) => s.Effect === 'Allow')) {
        for (const action of asList(statement.Action)) {
          for (const resource of asList(statement.Resource)) {
            grants.add(`${action} on ${arnOf(template, resource)}`);
          }
        }
      }
    } else {
      const [[name, parameters]] = Object.entries(policy) as [[string, Props]];
      const expand = POLICY_TEMPLATES[name];
      if (expand) for (const grant of expand(parameters)) grants.add(grant);
      else unreadable.push(`policy template ${name} is unknown: add it to POLICY_TEMPLATES`);
    }
  }
  return { grants, unreadable };
}

/** Missing and surplus grants of one resource, as violations. */
function compareGrants(id: string, needed: Set<string>, granted: Set<string>, by: string) {
  return [
    ...[...needed]
      .filter((grant) => !granted.has(grant))
      .map((grant) => `${id}: ${by} needs ${grant}, which its policies do not allow`),
    ...[...granted]
      .filter((grant) => !needed.has(grant))
      .map((grant) => `${id}: its policies allow ${grant}, which ${by} never needs`),
  ];
}

/** The IAM Resource an access needs, in arnOf's form, given the resource its variable names. */
function resourceOf(target: string, { index, executions }: Access): string {
  if (executions) {
    return `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${target}.Name:*`;
  }
  return `${target}.Arn${index ? `/index/${index}` : ''}`;
}

/**
 * Each function's inline policies allow exactly the AWS actions its code can take (found by
 * code-access.ts), on the resource the code's environment variable names: the table, an index
 * (`${OrdersTable.Arn}/index/byCustomer`) for a Query on it, the state machine, or its executions
 * (`arn:...:execution:${OrderWorkflow.Name}:*`) to describe or redrive one.
 */
export const functionPoliciesMatchCode: Rule = (template, code) => {
  const violations: string[] = [];
  for (const [id, fn] of resourcesOfType(template, FUNCTION)) {
    const facts = code.functions[codeDir(fn.CodeUri)];
    if (!facts) {
      violations.push(`${id}: no code found at ${fn.CodeUri}`);
      continue;
    }
    const needed = new Set<string>();
    for (const access of facts.access) {
      const target = targetOf(fn.Environment?.Variables?.[access.envVar]);
      if (!target) {
        violations.push(`${id}: ${access.envVar} does not name a resource of this template`);
        continue;
      }
      needed.add(`${access.action} on ${resourceOf(target, access)}`);
    }
    const { grants, unreadable } = grantsOf(template, fn.Policies);
    violations.push(...unreadable.map((problem) => `${id}: ${problem}`));
    violations.push(...compareGrants(id, needed, grants, 'its code'));
  }
  return violations;
};

/** The states of a definition, nested ones (Parallel branches, Map processors) included. */
function allStates(states: Record<string, Props>): Array<[string, Props]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, Props],
    ...asList(state.Branches).flatMap((branch) => allStates((branch as Props).States ?? {})),
    ...allStates(state.ItemProcessor?.States ?? state.Iterator?.States ?? {}),
  ]);
}

/**
 * What each service integration of a Task state needs, from the parameter naming its target
 * (Step Functions documents each, e.g. https://docs.aws.amazon.com/step-functions/latest/dg/dynamo-iam.html).
 */
const INTEGRATIONS: Record<string, { parameter: string; action: string }> = {
  'arn:aws:states:::lambda:invoke': { parameter: 'FunctionName', action: 'lambda:InvokeFunction' },
  'arn:aws:states:::sns:publish': { parameter: 'TopicArn', action: 'sns:Publish' },
  'arn:aws:states:::dynamodb:updateItem': { parameter: 'TableName', action: 'dynamodb:UpdateItem' },
};

/**
 * Each state machine's policies allow exactly what its definition does: invoke the functions,
 * publish to the topics and update the tables its tasks name through DefinitionSubstitutions,
 * plus the log delivery actions when it logs.
 */
export const stateMachinePoliciesMatchDefinition: Rule = (template, code) => {
  const violations: string[] = [];
  for (const [id, machine] of resourcesOfType(template, STATE_MACHINE)) {
    const text = code.files[String(machine.DefinitionUri)];
    if (text === undefined) {
      violations.push(`${id}: DefinitionUri ${machine.DefinitionUri} does not exist`);
      continue;
    }
    const needed = new Set<string>();
    for (const [name, state] of allStates(JSON.parse(text).States ?? {})) {
      if (state.Type !== 'Task') continue;
      const integration = INTEGRATIONS[state.Resource];
      const placeholder = /^\$\{(\w+)\}$/.exec(state.Parameters?.[integration?.parameter ?? '']);
      const target = targetOf(machine.DefinitionSubstitutions?.[placeholder?.[1] ?? '']);
      if (!integration || !target) {
        violations.push(`${id}: cannot tell what task ${name} (${state.Resource}) needs`);
        continue;
      }
      needed.add(`${integration.action} on ${target}.Arn`);
    }
    if (asList(machine.Logging?.Destinations).length > 0) {
      for (const action of LOGS_DELIVERY_ACTIONS) needed.add(`${action} on *`);
    }
    const { grants, unreadable } = grantsOf(template, machine.Policies);
    violations.push(...unreadable.map((problem) => `${id}: ${problem}`));
    violations.push(...compareGrants(id, needed, grants, 'its definition'));
  }
  return violations;
};

/**
 * No policy in the template allows a wildcard action, or `NotAction`/`NotResource`; Resource "*"
 * only for the log delivery actions, which AWS offers no other way.
 */
export const noWildcardPermissions: Rule = (template) => {
  const violations: string[] = [];
  const owners = [
    ...resourcesOfType(template, FUNCTION),
    ...resourcesOfType(template, STATE_MACHINE),
  ].map(([id, props]) => [id, statementsOf(props.Policies)] as const);
  const iam = Object.entries(template.Resources).filter(([, r]) =>
    ['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type),
  );
  for (const [id, resource] of iam) {
    const documents = [
      resource.Properties?.PolicyDocument,
      ...asList(resource.Properties?.Policies).map((p) => (p as Props).PolicyDocument),
    ];
    owners.push([id, documents.flatMap((d) => asList(d?.Statement) as Props[])]);
  }
  for (const [id, statements] of owners) {
    for (const statement of statements) {
      const actions = asList(statement.Action).map(String);
      if (statement.NotAction || statement.NotResource) {
        violations.push(`${id}: a statement uses NotAction or NotResource`);
      }
      for (const action of actions.filter((a) => a.includes('*'))) {
        violations.push(`${id}: allows the wildcard action ${action}`);
      }
      const logsOnly = actions.every((action) => LOGS_DELIVERY_ACTIONS.includes(action));
      if (asList(statement.Resource).includes('*') && !logsOnly) {
        violations.push(`${id}: allows [${actions}] on Resource "*"`);
      }
    }
  }
  return violations;
};

// ------------------------------------------------------------------------------------------------
// d. Workflow definition
// ------------------------------------------------------------------------------------------------

/**
 * Each state machine's DefinitionSubstitutions and the `${...}` placeholders of its definition
 * match both ways, and each substitution names a resource of this template.
 */
export const substitutionsMatchDefinition: Rule = (template, code) => {
  const violations: string[] = [];
  for (const [id, machine] of resourcesOfType(template, STATE_MACHINE)) {
    const text = code.files[String(machine.DefinitionUri)];
    if (text === undefined) {
      violations.push(`${id}: DefinitionUri ${machine.DefinitionUri} does not exist`);
      continue;
    }
    const placeholders = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] as string));
    const substitutions: Props = machine.DefinitionSubstitutions ?? {};
    for (const name of placeholders) {
      if (!(name in substitutions)) {
        violations.push(`${id}: placeholder ${name} has no substitution`);
      }
    }
    for (const [name, value] of Object.entries(substitutions)) {
      if (!placeholders.has(name)) violations.push(`${id}: substitution ${name} is never used`);
      const target = targetOf(value);
      if (!target || !template.Resources[target]) {
        violations.push(`${id}: substitution ${name} names no resource of this template`);
      }
    }
  }
  return violations;
};

/** The reconciler's setting: how long an order may sit in flight before it counts as stalled. */
const STALE_AFTER = 'STALE_AFTER_SECONDS';

/**
 * A retrier's defaults in Amazon States Language (no MaxDelaySeconds: no cap).
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
const RETRY_DEFAULTS = {
  IntervalSeconds: 1,
  BackoffRate: 2,
  MaxAttempts: 3,
  MaxDelaySeconds: Number.POSITIVE_INFINITY,
};

/**
 * The longest a task can keep an order waiting before its retries run out: every attempt
 * running into TimeoutSeconds, every retrier used up, every wait at its longest (no jitter).
 */
function longestRun(task: Props): number {
  let seconds = task.TimeoutSeconds;
  for (const retrier of asList(task.Retry) as Props[]) {
    const { IntervalSeconds, BackoffRate, MaxAttempts, MaxDelaySeconds } = {
      ...RETRY_DEFAULTS,
      ...retrier,
    };
    for (let n = 0; n < MaxAttempts; n++) {
      seconds +=
        Math.min(IntervalSeconds * BackoffRate ** n, MaxDelaySeconds) + task.TimeoutSeconds;
    }
  }
  return seconds;
}

/**
 * The reconciler's STALE_AFTER_SECONDS is longer than any happy-path task of the workflow it
 * drives (STATE_MACHINE_ARN) can spend retrying, so that an execution still retrying is never
 * taken for a stalled one. Happy-path tasks are those that catch States.ALL: when their retries
 * run out the workflow takes the failure path by itself. Their attempts need a TimeoutSeconds,
 * without which no bound exists.
 */
export const reconcilerOutwaitsRetries: Rule = (template, code) => {
  const violations: string[] = [];
  for (const [id, fn] of resourcesOfType(template, FUNCTION)) {
    const variables = fn.Environment?.Variables ?? {};
    if (!(STALE_AFTER in variables)) continue;
    const staleAfter = Number(variables[STALE_AFTER]);
    const machineId = targetOf(variables.STATE_MACHINE_ARN) ?? '';
    const machine = resourcesOfType(template, STATE_MACHINE).find(([m]) => m === machineId)?.[1];
    const text = code.files[String(machine?.DefinitionUri)];
    if (!Number.isFinite(staleAfter) || text === undefined) {
      violations.push(
        `${id}: needs a number in ${STALE_AFTER} and a state machine of this template in STATE_MACHINE_ARN`,
      );
      continue;
    }
    let longest = { name: '', seconds: 0 };
    for (const [name, state] of allStates(JSON.parse(text).States ?? {})) {
      const catchesAll = asList(state.Catch).some((c) =>
        asList((c as Props).ErrorEquals).includes('States.ALL'),
      );
      if (state.Type !== 'Task' || !catchesAll) continue;
      if (!Number.isInteger(state.TimeoutSeconds)) {
        violations.push(`${machineId}: happy-path task ${name} has no TimeoutSeconds`);
        continue;
      }
      const seconds = longestRun(state);
      if (seconds > longest.seconds) longest = { name, seconds };
    }
    if (staleAfter <= longest.seconds) {
      violations.push(
        `${id}: ${STALE_AFTER} ${staleAfter} does not exceed the ${longest.seconds}s that ` +
          `${machineId}'s task ${longest.name} can spend retrying`,
      );
    }
  }
  return violations;
};

// ------------------------------------------------------------------------------------------------
// e. Event sources
// ------------------------------------------------------------------------------------------------

/** Lambda's and SQS's defaults, for settings a template leaves out. */
const DEFAULT_FUNCTION_TIMEOUT = 3;
const DEFAULT_VISIBILITY_TIMEOUT = 30;

const reportsBatchItemFailures = (event: Props) =>
  asList(event.FunctionResponseTypes).includes('ReportBatchItemFailures');

/**
 * Each queue a function consumes hides a message for at least six times the function's timeout
 * (as Lambda advises, so a throttled batch is not redelivered while it runs), moves a message
 * that keeps failing to a dead-letter queue, and only failed messages return (partial batch
 * responses).
 */
export const queueSourcesSafe: Rule = (template) => {
  const violations: string[] = [];
  for (const [id, name, event, fn] of eventsOf(template, 'SQS')) {
    const queueId = targetOf(event.Queue);
    const queue = queueId ? template.Resources[queueId] : undefined;
    if (!queueId || queue?.Type !== QUEUE) {
      violations.push(`${id}.${name}: its queue is not a queue of this template`);
      continue;
    }
    const timeout = fn.Timeout ?? DEFAULT_FUNCTION_TIMEOUT;
    const visibility = queue.Properties?.VisibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT;
    if (visibility < 6 * timeout) {
      violations.push(
        `${queueId}: VisibilityTimeout ${visibility}s is under 6 x ${id}'s Timeout (${6 * timeout}s)`,
      );
    }
    const redrive = queue.Properties?.RedrivePolicy;
    if (!pointsAt(template, redrive?.deadLetterTargetArn, QUEUE)) {
      violations.push(`${queueId}: has no dead-letter queue (RedrivePolicy.deadLetterTargetArn)`);
    }
    if (!Number.isInteger(redrive?.maxReceiveCount) || redrive.maxReceiveCount < 1) {
      violations.push(`${queueId}: RedrivePolicy has no maxReceiveCount`);
    }
    if (!reportsBatchItemFailures(event)) {
      violations.push(`${id}.${name}: FunctionResponseTypes lacks ReportBatchItemFailures`);
    }
  }
  return violations;
};

/**
 * Each stream source gives up on a failing batch in bounded time (a retry limit and a record
 * age: the defaults retry until the record expires, blocking the shard), splits a failing batch
 * to find the bad record, reports failed records only, and sends what it gives up on to a queue
 * or topic with its Type set, which is what makes SAM grant the function's role that destination.
 */
export const streamSourcesSafe: Rule = (template) => {
  const violations: string[] = [];
  for (const [id, name, event] of eventsOf(template, ['DynamoDB', 'Kinesis'])) {
    const at = `${id}.${name}`;
    const retries = event.MaximumRetryAttempts;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10_000) {
      violations.push(`${at}: MaximumRetryAttempts must be 0 to 10000 (default: forever)`);
    }
    const age = event.MaximumRecordAgeInSeconds;
    if (!Number.isInteger(age) || age < 60 || age > 604_800) {
      violations.push(`${at}: MaximumRecordAgeInSeconds must be 60 to 604800 (default: forever)`);
    }
    if (event.BisectBatchOnFunctionError !== true) {
      violations.push(`${at}: BisectBatchOnFunctionError is not true`);
    }
    if (!reportsBatchItemFailures(event)) {
      violations.push(`${at}: FunctionResponseTypes lacks ReportBatchItemFailures`);
    }
    const onFailure = event.DestinationConfig?.OnFailure;
    const destination = template.Resources[targetOf(onFailure?.Destination) ?? '']?.Type;
    const expected = { [QUEUE]: 'SQS', [TOPIC]: 'SNS' }[destination as string];
    if (!expected) {
      violations.push(
        `${at}: DestinationConfig.OnFailure is not a queue or topic of this template`,
      );
    } else if (onFailure.Type !== expected) {
      violations.push(`${at}: DestinationConfig.OnFailure.Type must be ${expected}`);
    }
  }
  return violations;
};

/**
 * The stream view types that carry each image a filter can match on.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_StreamSpecification.html
 */
const VIEWS_WITH: Record<string, string[]> = {
  OldImage: ['OLD_IMAGE', 'NEW_AND_OLD_IMAGES'],
  NewImage: ['NEW_IMAGE', 'NEW_AND_OLD_IMAGES'],
};

/** Every key of a parsed JSON value, at any depth. */
const keysOf = (value: unknown): string[] =>
  typeof value === 'object' && value !== null
    ? Object.entries(value).flatMap(([key, child]) => [key, ...keysOf(child)])
    : [];

/**
 * Each filter of a DynamoDB stream source is valid JSON and matches on images the table's
 * stream carries: a pattern on OldImage needs OLD_IMAGE or NEW_AND_OLD_IMAGES, one on NewImage
 * NEW_IMAGE or NEW_AND_OLD_IMAGES. Otherwise it never matches, and the function silently never
 * runs. https://docs.aws.amazon.com/lambda/latest/dg/with-ddb-filtering.html
 */
export const streamFiltersMatchImages: Rule = (template) => {
  const violations: string[] = [];
  for (const [id, name, event] of eventsOf(template, 'DynamoDB')) {
    const tableId = targetOf(event.Stream) ?? '';
    const table = template.Resources[tableId];
    if (table?.Type !== TABLE) {
      violations.push(`${id}.${name}: its Stream is not the stream of a table of this template`);
      continue;
    }
    const view = table.Properties?.StreamSpecification?.StreamViewType;
    for (const [i, filter] of asList(event.FilterCriteria?.Filters).entries()) {
      const at = `${id}.${name}: FilterCriteria.Filters[${i}]`;
      let keys: string[];
      try {
        keys = keysOf(JSON.parse((filter as Props).Pattern));
      } catch {
        violations.push(`${at}: Pattern is not valid JSON`);
        continue;
      }
      for (const [image, views] of Object.entries(VIEWS_WITH)) {
        if (keys.includes(image) && !views.includes(view)) {
          violations.push(`${at} matches on ${image}, which ${tableId}'s stream (${view}) lacks`);
        }
      }
    }
  }
  return violations;
};

// ------------------------------------------------------------------------------------------------
// f. API, observability, data protection
// ------------------------------------------------------------------------------------------------

/**
 * Routes anyone may call without a token, as `METHOD /path`. None: a public route is a decision,
 * made here in review, not by one event's `Auth.Authorizer: NONE`.
 */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set();

/** The literal values a template value can take: itself, or the AllowedValues of the parameter it Refs. */
function possibleValues(template: Template, value: unknown): unknown[] {
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  const parameter = typeof ref === 'string' ? template.Parameters?.[ref] : undefined;
  if (!parameter) return [value];
  return asList(parameter.AllowedValues ?? parameter.Default);
}

/** The value a template value has when every parameter keeps its Default. */
function defaultValue(template: Template, value: unknown): unknown {
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  const parameter = typeof ref === 'string' ? template.Parameters?.[ref] : undefined;
  return parameter ? parameter.Default : value;
}

/** True when the template runs AWS::LanguageExtensions before the SAM transform. */
function languageExtensionsFirst(template: Template): boolean {
  const transforms = asList(template.Transform);
  const extensions = transforms.indexOf('AWS::LanguageExtensions');
  return extensions >= 0 && extensions < transforms.indexOf('AWS::Serverless-2016-10-31');
}

/** An HTTP API authorizer's kind: `jwt`, `lambda` (its function's logical id), or undefined. */
function authorizerKind(template: Template, definition: Props | undefined) {
  if (definition?.JwtConfiguration) return { kind: 'jwt' as const };
  const functionId = targetOf(definition?.FunctionArn);
  if (functionId && template.Resources[functionId]?.Type === FUNCTION) {
    return { kind: 'lambda' as const, functionId };
  }
  return undefined;
}

/**
 * Each HTTP API authorizes every route by default: its DefaultAuthorizer names a JWT authorizer
 * or a Lambda authorizer of this template, whichever value a parameter gives it (a `Ref` needs
 * AWS::LanguageExtensions before the SAM transform, which accepts only a literal name), and with
 * the parameters' defaults, what deploys, a JWT authorizer. Each route belongs to a declared API
 * and requires scopes (the user pool's resource server declares them), or is explicitly public
 * and listed in PUBLIC_ROUTES.
 */
export const apiRoutesAuthorized: Rule = (template) => {
  const violations: string[] = [];
  for (const [id, api] of resourcesOfType(template, HTTP_API)) {
    const chosen = api.Auth?.DefaultAuthorizer;
    if (chosen === undefined) {
      violations.push(`${id}: Auth.DefaultAuthorizer is not set`);
      continue;
    }
    if (typeof chosen !== 'string' && !languageExtensionsFirst(template)) {
      violations.push(
        `${id}: Auth.DefaultAuthorizer is ${JSON.stringify(chosen)}, which the SAM transform accepts only after AWS::LanguageExtensions (Transform)`,
      );
    }
    for (const name of possibleValues(template, chosen)) {
      if (!authorizerKind(template, api.Auth?.Authorizers?.[String(name)])) {
        violations.push(
          `${id}: Auth.DefaultAuthorizer can be ${name}, which is not a JWT or Lambda authorizer of this template`,
        );
      }
    }
    const deployed = String(defaultValue(template, chosen));
    if (authorizerKind(template, api.Auth?.Authorizers?.[deployed])?.kind !== 'jwt') {
      violations.push(
        `${id}: Auth.DefaultAuthorizer is ${deployed} by default, not a JWT authorizer`,
      );
    }
  }
  const declaredScopes = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::Cognito::UserPoolResourceServer')
    .flatMap((r) =>
      asList(r.Properties?.Scopes).map(
        (s) => `${r.Properties.Identifier}/${(s as Props).ScopeName}`,
      ),
    );
  for (const [id, name, event] of eventsOf(template, 'HttpApi')) {
    const route = `${String(event.Method).toUpperCase()} ${event.Path}`;
    if (!pointsAt(template, event.ApiId, HTTP_API)) {
      violations.push(`${id}.${name}: ${route} is on SAM's implicit API, not a declared one`);
    }
    if (event.Auth?.Authorizer === 'NONE') {
      if (!PUBLIC_ROUTES.has(route)) {
        violations.push(`${id}.${name}: ${route} opts out of authorization but is not public`);
      }
      continue;
    }
    const scopes = asList(event.Auth?.AuthorizationScopes).map(String);
    if (scopes.length === 0) violations.push(`${id}.${name}: ${route} requires no scope`);
    // With an external issuer (no resource server in the template) the issuer owns the scopes.
    const undeclared =
      declaredScopes.length > 0 ? scopes.filter((s) => !declaredScopes.includes(s)) : [];
    for (const scope of undeclared) {
      violations.push(`${id}.${name}: scope ${scope} is not declared by a resource server`);
    }
  }
  return violations;
};

/** JSON of a variable's value, for comparing template expressions. */
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Each Lambda authorizer of an HTTP API answers as the API's JWT authorizer would: its function
 * verifies the same tokens (JWT_ISSUER and JWT_AUDIENCE are the JWT authorizer's issuer and its
 * one audience), enforces each route's AuthorizationScopes (ROUTE_SCOPES, JSON by route key, lists
 * exactly the routes it can guard), and API Gateway may invoke it (default permissions) with a
 * payload 2.0 event and simple responses. A request without the JWT authorizer's identity source
 * is refused before the function runs. Its results are not cached, or cached per route
 * (`$context.routeKey` among the identity sources): keyed on the token alone, a token allowed on
 * one route would pass every route of the authorizer.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
 */
export const lambdaAuthorizersMatchRoutes: Rule = (template) => {
  const violations: string[] = [];
  for (const [apiId, api] of resourcesOfType(template, HTTP_API)) {
    const authorizers: Record<string, Props> = api.Auth?.Authorizers ?? {};
    const jwt = Object.values(authorizers).find((a) => a.JwtConfiguration)?.JwtConfiguration;
    const routes = eventsOf(template, 'HttpApi').filter(
      ([, , event]) => targetOf(event.ApiId) === apiId,
    );
    for (const [name, definition] of Object.entries(authorizers)) {
      const kind = authorizerKind(template, definition);
      if (kind?.kind !== 'lambda') continue;
      const at = `${apiId}.${name}`;
      if (String(definition.AuthorizerPayloadFormatVersion) !== '2.0') {
        violations.push(`${at}: AuthorizerPayloadFormatVersion must be "2.0"`);
      }
      if (definition.EnableSimpleResponses !== true)
        violations.push(`${at}: EnableSimpleResponses must be true`);
      if (definition.EnableFunctionDefaultPermissions !== true) {
        violations.push(
          `${at}: EnableFunctionDefaultPermissions must be true, or API Gateway cannot invoke it`,
        );
      }
      const identity: Props = definition.Identity ?? {};
      const headers = asList(identity.Headers).map((h) => `$request.header.${h}`.toLowerCase());
      for (const source of asList(
        Object.values(authorizers).find((a) => a.JwtConfiguration)?.IdentitySource,
      )) {
        if (!headers.includes(String(source).toLowerCase())) {
          violations.push(
            `${at}: Identity.Headers lacks the JWT authorizer's identity source ${source}`,
          );
        }
      }
      const ttl = identity.ReauthorizeEvery;
      if (!Number.isInteger(ttl)) {
        violations.push(
          `${at}: set Identity.ReauthorizeEvery (API Gateway's default caches for 300 s)`,
        );
      } else if (ttl > 0 && !asList(identity.Context).includes('routeKey')) {
        violations.push(
          `${at}: caches by token alone (ReauthorizeEvery ${ttl}): add routeKey to Identity.Context`,
        );
      }
      const variables: Props =
        applyGlobals(template).Resources[kind.functionId]?.Properties?.Environment?.Variables ?? {};
      const fn = kind.functionId;
      if (!jwt || !same(variables.JWT_ISSUER, jwt.issuer)) {
        violations.push(`${fn}: JWT_ISSUER is not the JWT authorizer's issuer`);
      }
      if (
        !jwt ||
        asList(jwt.audience).length !== 1 ||
        !same(variables.JWT_AUDIENCE, asList(jwt.audience)[0])
      ) {
        violations.push(`${fn}: JWT_AUDIENCE is not the JWT authorizer's one audience`);
      }
      let listed: Record<string, unknown>;
      try {
        listed = JSON.parse(String(variables.ROUTE_SCOPES));
      } catch {
        violations.push(`${fn}: ROUTE_SCOPES is not JSON`);
        continue;
      }
      const guarded = routes.filter(([, , event]) => {
        const own = event.Auth?.Authorizer;
        return own === undefined
          ? possibleValues(template, api.Auth?.DefaultAuthorizer).includes(name)
          : own === name;
      });
      const expected = Object.fromEntries(
        guarded.map(([, , event]) => [
          `${String(event.Method).toUpperCase()} ${event.Path}`,
          asList(event.Auth?.AuthorizationScopes).map(String),
        ]),
      );
      for (const [route, scopes] of Object.entries(expected)) {
        if (!same(listed[route], scopes)) {
          violations.push(
            `${fn}: ROUTE_SCOPES gives ${route} ${JSON.stringify(listed[route])}, the route requires ${JSON.stringify(scopes)}`,
          );
        }
      }
      for (const route of Object.keys(listed).filter((r) => !(r in expected))) {
        violations.push(`${fn}: ROUTE_SCOPES lists ${route}, which it does not guard`);
      }
    }
  }
  return violations;
};

/** Each HTTP API throttles its routes and writes access logs to a log group of this template. */
export const apiThrottledAndLogged: Rule = (template) => {
  const violations: string[] = [];
  for (const [id, api] of resourcesOfType(template, HTTP_API)) {
    const { ThrottlingBurstLimit: burst, ThrottlingRateLimit: rate } =
      api.DefaultRouteSettings ?? {};
    if (!(burst > 0 && rate > 0)) {
      violations.push(`${id}: DefaultRouteSettings must set ThrottlingBurstLimit and RateLimit`);
    }
    const logs = api.AccessLogSettings;
    if (!pointsAt(template, logs?.DestinationArn, LOG_GROUP) || !logs?.Format) {
      violations.push(`${id}: AccessLogSettings needs a log group of this template and a Format`);
    }
  }
  return violations;
};

/** X-Ray tracing is active on every function (Globals count) and enabled on every state machine. */
export const tracingEnabled: Rule = (template) => [
  ...resourcesOfType(template, FUNCTION)
    .filter(([, fn]) => fn.Tracing !== 'Active')
    .map(([id]) => `${id}: Tracing is not Active`),
  ...resourcesOfType(template, STATE_MACHINE)
    .filter(([, machine]) => machine.Tracing?.Enabled !== true)
    .map(([id]) => `${id}: Tracing.Enabled is not true`),
];

/**
 * Every log group has a retention period, and every function and state machine logs to one of
 * them (a function without LoggingConfig.LogGroup gets a log group that never expires).
 */
export const logsRetained: Rule = (template) => [
  ...Object.entries(template.Resources)
    .filter(([, r]) => r.Type === LOG_GROUP && r.Properties?.RetentionInDays === undefined)
    .map(([id]) => `${id}: has no RetentionInDays`),
  ...resourcesOfType(template, FUNCTION)
    .filter(([, fn]) => !pointsAt(template, fn.LoggingConfig?.LogGroup, LOG_GROUP))
    .map(([id]) => `${id}: LoggingConfig.LogGroup is not a log group of this template`),
  ...resourcesOfType(template, STATE_MACHINE).flatMap(([id, machine]) =>
    asList(machine.Logging?.Destinations)
      .filter(
        (d) => !pointsAt(template, (d as Props).CloudWatchLogsLogGroup?.LogGroupArn, LOG_GROUP),
      )
      .map(() => `${id}: logs to a log group that is not in this template`),
  ),
];

/** Queues and topics are encrypted at rest. */
export const messagesEncrypted: Rule = (template) =>
  Object.entries(template.Resources).flatMap(([id, r]) => {
    const p = r.Properties ?? {};
    if (r.Type === QUEUE && p.SqsManagedSseEnabled !== true && !p.KmsMasterKeyId) {
      return [`${id}: set SqsManagedSseEnabled: true or KmsMasterKeyId`];
    }
    if (r.Type === TOPIC && !p.KmsMasterKeyId) return [`${id}: set KmsMasterKeyId`];
    return [];
  });

/** Tables keep point-in-time recovery. */
export const tablesProtected: Rule = (template) =>
  Object.entries(template.Resources)
    .filter(([, r]) => r.Type === TABLE)
    .filter(
      ([, r]) =>
        r.Properties?.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled !== true,
    )
    .map(([id]) => `${id}: PointInTimeRecoveryEnabled is not true`);

/** Resources whose data no stack deletion or replacement may take: orders, stock, customers. */
const RETAINED_TYPES = [TABLE, 'AWS::Cognito::UserPool'];

/**
 * Tables and the user pool survive the stack's deletion and their own replacement (a changed
 * key schema or pool setting that CloudFormation can only apply by creating a new resource).
 */
export const dataRetained: Rule = (template) =>
  Object.entries(template.Resources)
    .filter(([, r]) => RETAINED_TYPES.includes(r.Type))
    .flatMap(([id, resource]) =>
      (['DeletionPolicy', 'UpdateReplacePolicy'] as const)
        .filter((policy) => resource[policy] !== 'Retain')
        .map((policy) => `${id}: ${policy} is not Retain`),
    );

/**
 * Lambda's deprecated Node.js runtimes (no more patches; creating functions is blocked later).
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
 */
export const DEPRECATED_RUNTIMES: ReadonlySet<string> = new Set([
  'nodejs',
  'nodejs4.3',
  'nodejs4.3-edge',
  'nodejs6.10',
  'nodejs8.10',
  'nodejs10.x',
  'nodejs12.x',
  'nodejs14.x',
  'nodejs16.x',
  'nodejs18.x',
  'nodejs20.x',
]);

/** The oldest Node.js major this code is written for (package.json's engines). */
const MINIMUM_NODE_MAJOR = 24;

function runtimeProblem(runtime: unknown): string | undefined {
  const major = Number(/^nodejs(\d+)\.x$/.exec(String(runtime))?.[1]);
  if (DEPRECATED_RUNTIMES.has(String(runtime))) return `${runtime} is deprecated`;
  if (!(major >= MINIMUM_NODE_MAJOR))
    return `${runtime} is not nodejs${MINIMUM_NODE_MAJOR}.x or newer`;
  return undefined;
}

/** Functions and layers use a current Node.js runtime. */
export const runtimesCurrent: Rule = (template) => [
  ...resourcesOfType(template, FUNCTION).flatMap(([id, fn]) => {
    const problem = runtimeProblem(fn.Runtime);
    return problem ? [`${id}: ${problem}`] : [];
  }),
  ...resourcesOfType(template, 'AWS::Serverless::LayerVersion').flatMap(([id, layer]) =>
    asList(layer.CompatibleRuntimes).flatMap((runtime) => {
      const problem = runtimeProblem(runtime);
      return problem ? [`${id}: ${problem}`] : [];
    }),
  ),
];

/**
 * Each function behind an alias (AutoPublishAlias) publishes a new version for any change of its
 * properties (AutoPublishAliasAllProperties), and each layer it uses has PublishLambdaVersion, which
 * puts the layer's content (its packaged ContentUri) in that version's hash. Without both, a change
 * that touches only the layer keeps the alias, and the canary, on the old version.
 * https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html
 */
export const aliasFollowsLayers: Rule = (template) => {
  const violations: string[] = [];
  for (const [id, fn] of resourcesOfType(template, FUNCTION)) {
    if (fn.AutoPublishAlias === undefined) continue;
    if (fn.AutoPublishAliasAllProperties !== true) {
      violations.push(`${id}: AutoPublishAliasAllProperties is not true`);
    }
    for (const layerId of asList(fn.Layers).map(targetOf)) {
      const layer = layerId ? template.Resources[layerId] : undefined;
      if (
        layer?.Type === 'AWS::Serverless::LayerVersion' &&
        layer.Properties?.PublishLambdaVersion !== true
      ) {
        violations.push(`${id}: its layer ${layerId} does not set PublishLambdaVersion`);
      }
    }
  }
  return violations;
};

/** The template's Rules that refuse these parameter values (their AssertDescriptions). */
export function refusedBy(template: Template, parameters: Record<string, string>): string[] {
  const ctx: ResolveContext = {
    template,
    parameters,
    region: 'us-east-1',
    accountId: '123456789012',
    ref: (id) => {
      throw new Error(`Rules can only use parameters, not ${id}`);
    },
    getAtt: (id) => {
      throw new Error(`Rules can only use parameters, not ${id}`);
    },
  };
  return Object.values((template.Rules ?? {}) as Record<string, Props>).flatMap((rule) => {
    if (rule.RuleCondition !== undefined && !resolve(ctx, rule.RuleCondition)) return [];
    return asList(rule.Assertions)
      .filter((a) => !resolve(ctx, (a as Props).Assert))
      .map((a) => String((a as Props).AssertDescription));
  });
}

/** Parameter values that would deploy a stack that cannot work, and what is wrong with each. */
export const UNWORKABLE_PARAMETERS: Array<[Record<string, string>, string]> = [
  [{ JwtIssuer: 'https://issuer.example.com', JwtAudience: '' }, 'an authorizer no token can pass'],
  [{ Stage: 'prod' }, 'a production API that only http://localhost:3000 may call from a browser'],
];

/**
 * The template's Rules refuse parameter values that would deploy a stack that cannot work
 * (UNWORKABLE_PARAMETERS), before CloudFormation creates anything, and accept the defaults.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
 */
export const deploymentParametersChecked: Rule = (template) => [
  ...UNWORKABLE_PARAMETERS.filter(([values]) => refusedBy(template, values).length === 0).map(
    ([values, what]) => `Rules: accept ${JSON.stringify(values)}, which deploys ${what}`,
  ),
  ...refusedBy(template, {}).map((refusal) => `Rules: refuse the defaults: ${refusal}`),
];

/** Every rule, by name. */
export const RULES = {
  handlersResolve,
  layersResolve,
  environmentMatchesCode,
  functionPoliciesMatchCode,
  stateMachinePoliciesMatchDefinition,
  noWildcardPermissions,
  substitutionsMatchDefinition,
  reconcilerOutwaitsRetries,
  queueSourcesSafe,
  streamSourcesSafe,
  streamFiltersMatchImages,
  apiRoutesAuthorized,
  lambdaAuthorizersMatchRoutes,
  apiThrottledAndLogged,
  tracingEnabled,
  logsRetained,
  messagesEncrypted,
  tablesProtected,
  dataRetained,
  runtimesCurrent,
  aliasFollowsLayers,
  deploymentParametersChecked,
} satisfies Record<string, Rule>;

export type RuleName = keyof typeof RULES;
