/**
 * AWS Control Tower's proactive controls, checked on template.yaml before it deploys.
 *
 *   npx tsx scripts/guard.ts [path/to/template.yaml]
 *
 * Runs cfn-guard (the binary in @cdklabs/cdk-validator-cfnguard) with every Control Tower rule
 * that package ships, plus this project's rules for the AWS::Serverless::* resources those rules
 * skip (guard/serverless.guard). Rules we choose not to follow are suppressed, with a reason, in
 * guard/suppressions.json and nowhere else. Prints a summary; exits non-zero on any failure that
 * is not suppressed, and on a suppression that no longer suppresses anything (so the list stays
 * short and true).
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadTemplate, ROOT, type Template } from '../local/template';

const GUARD_PACKAGE = join(ROOT, 'node_modules', '@cdklabs', 'cdk-validator-cfnguard');

/** The Control Tower rules bundled with @cdklabs/cdk-validator-cfnguard (a directory tree). */
export const CONTROL_TOWER_RULES = join(GUARD_PACKAGE, 'rules', 'control-tower', 'cfn-guard');
/** This project's rules for the SAM resources. */
export const PROJECT_RULES = join(ROOT, 'guard', 'serverless.guard');
/** The one place where a rule is switched off: rule name -> why. */
export const SUPPRESSIONS = join(ROOT, 'guard', 'suppressions.json');

/** Where a rule comes from, for the summary. */
export type RuleSource = 'Control Tower' | 'project';

/** A rule as the rule files declare it. */
export interface RuleInfo {
  /** The rule's name in its .guard file, as cfn-guard reports it (`sqs_dlq_check`). */
  name: string;
  /** The control id in the rule's message (`CT.SQS.PR.1`, `SAM.FUNCTION.1`). */
  control: string;
  source: RuleSource;
  /** The .guard file that defines it. */
  file: string;
}

/** What happened to one rule on one template. */
export interface RuleResult extends RuleInfo {
  /** SKIP: nothing in the template is of the types the rule checks. */
  status: 'PASS' | 'FAIL' | 'SUPPRESSED' | 'SKIP';
  /** Logical ids of the resources that failed the rule (FAIL and SUPPRESSED). */
  resources: string[];
  /** The rule's own description of the failure and its fix, when it failed. */
  message?: string;
  fix?: string;
  /** Why the rule is suppressed (SUPPRESSED). */
  reason?: string;
}

/** The outcome of guarding one template. */
export interface GuardReport {
  rules: RuleResult[];
  /** Rules that failed and are not suppressed: any makes the run fail. */
  failures: RuleResult[];
  /** Suppressions whose rule passed or did not apply: stale, to be removed. */
  unusedSuppressions: string[];
}

/** Rule name -> the reason we do not follow it. */
export type Suppressions = Record<string, string>;

/** What guardTemplates can be told; everything defaults to this project's files. */
export interface GuardOptions {
  suppressions?: Suppressions;
  rulePaths?: string[];
}

/**
 * The cfn-guard binary for this machine. The package ships Linux builds under `ubuntu` (static
 * binaries that run on any Linux) and macOS builds, each for x86_64 and aarch64.
 */
export function guardBinary(platform: string = process.platform, arch: string = process.arch) {
  const os: string | undefined = { linux: 'ubuntu', darwin: 'macos' }[platform];
  const cpu: string | undefined = { x64: 'x86_64', arm64: 'aarch64' }[arch];
  if (!os || !cpu) throw new Error(`cfn-guard has no build for ${platform}/${arch}`);
  const binary = join(GUARD_PACKAGE, 'bin', os, cpu, 'cfn-guard');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run npm ci`);
  return binary;
}

// ------------------------------------------------------------------------------------------------
// The template as cfn-guard should see it
// ------------------------------------------------------------------------------------------------

/** Which resource type each section of Globals applies to. */
const GLOBALS_SECTIONS: Record<string, string> = {
  Function: 'AWS::Serverless::Function',
  Api: 'AWS::Serverless::Api',
  HttpApi: 'AWS::Serverless::HttpApi',
  SimpleTable: 'AWS::Serverless::SimpleTable',
  StateMachine: 'AWS::Serverless::StateMachine',
  LayerVersion: 'AWS::Serverless::LayerVersion',
};

type Json = Record<string, unknown>;

function isMap(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ Ref: X }`, `{ 'Fn::Sub': ... }`: SAM merges an intrinsic function as a single value. */
function isIntrinsic(value: Json): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || Boolean(keys[0]?.startsWith('Fn::')));
}

/**
 * SAM's rule for a Globals value and a resource's own value: maps merge key by key, lists join
 * (globals first), and anything else, intrinsic functions included, is the resource's if it has
 * one. https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html
 */
export function mergeGlobal(global: unknown, local: unknown): unknown {
  if (local === undefined) return structuredClone(global);
  if (Array.isArray(global) && Array.isArray(local)) return [...global, ...local];
  if (isMap(global) && isMap(local) && !isIntrinsic(global) && !isIntrinsic(local)) {
    const merged: Json = { ...global };
    for (const [key, value] of Object.entries(local)) merged[key] = mergeGlobal(global[key], value);
    return merged;
  }
  return local;
}

/**
 * The template as the AWS::LanguageExtensions transform hands it to the SAM transform, when it
 * declares that transform: every `Ref` to a template parameter in Resources replaced by the
 * parameter's value (the given one, or its Default), as cfn-lint does for the same transform.
 * A template without it is returned as it is.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/transform-aws-languageextensions.html
 */
export function resolveLanguageExtensions(
  template: Template,
  parameters: Record<string, unknown> = {},
): Template {
  const transforms = [template.Transform].flat();
  if (!transforms.includes('AWS::LanguageExtensions')) return template;
  const declared: Record<string, Json> = template.Parameters ?? {};
  const values = Object.fromEntries(
    Object.entries(declared)
      .map(([name, p]) => [name, name in parameters ? parameters[name] : p.Default] as const)
      .filter(([, value]) => value !== undefined),
  );
  const replace = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(replace);
    if (!isMap(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Ref' && String(value.Ref) in values) {
      return values[String(value.Ref)];
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]));
  };
  return { ...template, Resources: replace(template.Resources) as Template['Resources'] };
}

/**
 * A copy of the template with its Globals merged into every SAM resource they apply to, and the
 * Globals section removed: each resource then shows the settings it will really have.
 */
export function applyGlobals(template: Template): Template {
  const { Globals: globals = {}, ...rest } = structuredClone(template);
  for (const resource of Object.values(rest.Resources)) {
    const section = Object.keys(GLOBALS_SECTIONS).find(
      (s) => GLOBALS_SECTIONS[s] === resource.Type,
    );
    if (section && globals[section]) {
      resource.Properties = mergeGlobal(globals[section], resource.Properties ?? {});
    }
  }
  return rest as Template;
}

// ------------------------------------------------------------------------------------------------
// The rules
// ------------------------------------------------------------------------------------------------

function guardFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => guardFiles(join(path, entry)));
}

/**
 * The named rules in the rule files, by name. A rule with parameters (`rule check(x)`) is a
 * helper, not a rule cfn-guard reports; a rule defined twice (Control Tower defines each once for
 * templates and once for CloudFormation hooks) is one rule.
 */
export function ruleCatalog(rulePaths = [CONTROL_TOWER_RULES, PROJECT_RULES]) {
  const catalog = new Map<string, RuleInfo>();
  for (const file of rulePaths.flatMap(guardFiles)) {
    const text = readFileSync(file, 'utf8');
    const source: RuleSource = file.startsWith(CONTROL_TOWER_RULES) ? 'Control Tower' : 'project';
    for (const match of text.matchAll(/^rule\s+(\w+)\s+(?:when\b|\{)/gm)) {
      const name = match[1] as string;
      if (catalog.has(name)) continue;
      const control = /\[([A-Z][A-Z0-9]*(?:\.[A-Z0-9]+)+)\]:/.exec(text.slice(match.index))?.[1];
      catalog.set(name, { name, control: control ?? name, source, file });
    }
  }
  return catalog;
}

/** The suppressions file, checked: every entry needs a reason. */
export function loadSuppressions(path = SUPPRESSIONS): Suppressions {
  const suppressions = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  for (const [rule, reason] of Object.entries(suppressions)) {
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new Error(`${relative(ROOT, path)}: ${rule} needs a reason`);
    }
  }
  return suppressions as Suppressions;
}

// ------------------------------------------------------------------------------------------------
// Running cfn-guard
// ------------------------------------------------------------------------------------------------

/** One rule cfn-guard found not compliant, in its `--structured` JSON output. */
interface GuardFailure {
  name: string;
  checks: unknown[];
}

/** cfn-guard's `--structured` JSON output for one data file. */
interface GuardOutput {
  name: string;
  compliant: string[];
  not_applicable: string[];
  not_compliant: Array<{ Rule?: GuardFailure } & Partial<GuardFailure>>;
}

/** cfn-guard's version line, for the summary. */
export function guardVersion(): string {
  return spawnSync(guardBinary(), ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/**
 * Runs cfn-guard once over several data files (each takes about half a second against all the
 * rules). Exit status 19 means some rule failed; any other non-zero status is an error. A
 * rule file that does not parse is only reported on stderr (the run goes on without it), so
 * anything on stderr is an error too.
 */
function runGuard(dataFiles: string[], rulePaths: string[]): GuardOutput[] {
  const args = [
    'validate',
    ...rulePaths.flatMap((rules) => ['--rules', rules]),
    ...dataFiles.flatMap((data) => ['--data', data]),
    ...['--output-format', 'json', '--show-summary', 'none', '--structured'],
  ];
  const run = spawnSync(guardBinary(), args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (run.error) throw run.error;
  if ((run.status !== 0 && run.status !== 19) || run.stderr.trim() !== '') {
    throw new Error(`cfn-guard exited with status ${run.status}: ${run.stderr || run.stdout}`);
  }
  return JSON.parse(run.stdout) as GuardOutput[];
}

/** Every value under `node`, depth first. */
function* walk(node: unknown): Generator<[string, unknown]> {
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    yield [key, value];
    yield* walk(value);
  }
}

/** The resources a failed rule points at, and its message split into description and fix. */
function describeFailure(failure: GuardFailure) {
  const resources = new Set<string>();
  let message: string | undefined;
  for (const [key, value] of walk(failure.checks)) {
    if (typeof value !== 'string') continue;
    const resource = key === 'path' ? /^\/Resources\/([^/[]+)/.exec(value)?.[1] : undefined;
    if (resource) resources.add(resource);
    if (key === 'custom_message' && value.trim() !== '') message ??= value;
  }
  const lines = (message ?? '').split('\n').map((line) => line.trim());
  const fix = lines.find((line) => line.startsWith('[FIX]:'));
  return {
    resources: [...resources].sort(),
    message: lines.find((line) => line !== '' && line !== fix)?.replace(/^\[[^\]]+\]:\s*/, ''),
    fix: fix?.replace(/^\[FIX\]:\s*/, ''),
  };
}

/** One template's cfn-guard output, turned into a result per rule, with suppressions applied. */
function report(
  output: GuardOutput,
  catalog: Map<string, RuleInfo>,
  suppressions: Suppressions,
): GuardReport {
  const failed = new Map<string, GuardFailure>();
  for (const entry of output.not_compliant ?? []) {
    const failure = (entry.Rule ?? entry) as GuardFailure;
    failed.set(failure.name, failure);
  }
  const passed = new Set(output.compliant ?? []);
  const skipped = new Set(output.not_applicable ?? []);
  const unevaluated = [...catalog.keys()].filter(
    (name) => !failed.has(name) && !passed.has(name) && !skipped.has(name),
  );
  if (unevaluated.length > 0) throw new Error(`cfn-guard did not evaluate ${unevaluated}`);
  const rules = [...catalog.values()].map((rule): RuleResult => {
    const failure = failed.get(rule.name);
    if (failure) {
      const reason = suppressions[rule.name];
      const status = reason ? 'SUPPRESSED' : 'FAIL';
      return { ...rule, status, ...describeFailure(failure), ...(reason ? { reason } : {}) };
    }
    return { ...rule, status: passed.has(rule.name) ? 'PASS' : 'SKIP', resources: [] };
  });
  const unknown = [...failed.keys()].filter((name) => !catalog.has(name));
  if (unknown.length > 0)
    throw new Error(`cfn-guard reported rules not in the catalog: ${unknown}`);
  return {
    rules,
    failures: rules.filter((rule) => rule.status === 'FAIL'),
    unusedSuppressions: Object.keys(suppressions).filter((name) => !failed.has(name)),
  };
}

/**
 * Guards several templates in one cfn-guard run (a test's broken copies, say), keyed as given.
 * Each is converted to JSON with its Globals applied: cfn-guard reads CloudFormation's short
 * tags (`!Ref`) itself but stops at YAML anchors and aliases, and would not apply Globals.
 */
export function guardTemplates(
  templates: Record<string, Template>,
  options: GuardOptions = {},
): Record<string, GuardReport> {
  const { suppressions = loadSuppressions(), rulePaths = [CONTROL_TOWER_RULES, PROJECT_RULES] } =
    options;
  const catalog = ruleCatalog(rulePaths);
  const unknown = Object.keys(suppressions).filter((name) => !catalog.has(name));
  if (unknown.length > 0) throw new Error(`Suppressions name rules that do not exist: ${unknown}`);

  const dir = mkdtempSync(join(tmpdir(), 'guard-'));
  try {
    const files = Object.keys(templates).map((key, i) => {
      const file = join(dir, `template-${i}.json`);
      // As the SAM transform sees it: after AWS::LanguageExtensions, with the parameters' defaults.
      const template = resolveLanguageExtensions(templates[key] as Template);
      writeFileSync(file, JSON.stringify(applyGlobals(template), null, 2));
      return [key, file] as const;
    });
    const outputs = new Map(
      runGuard(
        files.map(([, file]) => file),
        rulePaths,
      ).map((o) => [o.name, o]),
    );
    return Object.fromEntries(
      files.map(([key, file]) => {
        const output = outputs.get(file);
        if (!output) throw new Error(`cfn-guard gave no result for ${key}`);
        return [key, report(output, catalog, suppressions)];
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Guards one template: the core of this script. */
export function guardTemplate(template: Template, options: GuardOptions = {}): GuardReport {
  return guardTemplates({ template }, options).template as GuardReport;
}

// ------------------------------------------------------------------------------------------------
// The summary
// ------------------------------------------------------------------------------------------------

function count(rules: RuleResult[], source: RuleSource, label: string): string {
  const of = rules.filter((rule) => rule.source === source);
  const n = (status: RuleResult['status']) => of.filter((rule) => rule.status === status).length;
  return (
    `${label}: ${of.length} rules: ${n('PASS')} passed, ${n('FAIL')} failed, ` +
    `${n('SUPPRESSED')} suppressed, ${n('SKIP')} not applicable`
  );
}

function headline(rule: RuleResult): string {
  const on = rule.resources.length > 0 ? ` on ${rule.resources.join(', ')}` : '';
  return `${rule.status} ${rule.control} ${rule.name}${on}`;
}

/** The report as the script prints it. */
export function formatReport(report: GuardReport, title: string): string {
  const lines = [
    title,
    count(report.rules, 'Control Tower', '  Control Tower (@cdklabs/cdk-validator-cfnguard)'),
    count(report.rules, 'project', '  Project (guard/serverless.guard)'),
    '',
  ];
  for (const rule of report.failures) {
    lines.push(
      headline(rule),
      `    ${rule.message ?? ''}`,
      `    Fix: ${rule.fix ?? 'see the rule'}`,
    );
  }
  for (const rule of report.rules.filter((r) => r.status === 'SUPPRESSED')) {
    lines.push(headline(rule), `    Suppressed: ${rule.reason}`);
  }
  for (const name of report.unusedSuppressions) {
    lines.push(
      `STALE suppression ${name}: the rule no longer fails; remove it from guard/suppressions.json`,
    );
  }
  const ok = report.failures.length === 0 && report.unusedSuppressions.length === 0;
  lines.push('', ok ? 'OK' : 'FAILED', '');
  return lines.join('\n');
}

function main(args: string[]): number {
  const path = args[0] ?? join(ROOT, 'template.yaml');
  const result = guardTemplate(loadTemplate(path));
  process.stdout.write(formatReport(result, `${guardVersion()} on ${relative(ROOT, path)}`));
  return result.failures.length === 0 && result.unusedSuppressions.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
