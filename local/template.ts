import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { parse, type Tags } from 'yaml';

export const ROOT = join(__dirname, '..');

/** CloudFormation's short-form tags, read as their long form (`!Ref X` -> `{ Ref: 'X' }`). */
const CFN_TAGS: Tags = [
  'Ref',
  'GetAtt',
  'Sub',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Join',
  'Select',
  'Split',
  'FindInMap',
  'ImportValue',
  'Base64',
  'GetAZs',
  'Condition',
  'Cidr',
].flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  const resolve = (node: unknown) => {
    // A tagged sequence or mapping arrives as a YAML node: take its plain JavaScript value.
    const value = (node as { toJSON?: () => unknown })?.toJSON?.() ?? node;
    return { [key]: name === 'GetAtt' && typeof value === 'string' ? value.split('.') : value };
  };
  return (['scalar', 'seq', 'map'] as const).map((collection) => ({
    tag: `!${name}`,
    ...(collection === 'scalar' ? {} : { collection }),
    resolve,
  }));
}) as Tags;

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is untyped YAML.
export type Template = { Resources: Record<string, any>; [key: string]: any };

/** template.yaml, parsed with its CloudFormation tags. */
export function loadTemplate(path = join(ROOT, 'template.yaml')): Template {
  return parse(readFileSync(path, 'utf8'), { customTags: CFN_TAGS, merge: true }) as Template;
}

/**
 * The CreateTable input of each DynamoDB table in the template, keyed by logical id. Properties
 * that only the real service knows (backups, encryption, deletion protection) are left out.
 */
export function tableDefinitions(
  template = loadTemplate(),
): Record<string, Omit<CreateTableCommandInput, 'TableName'>> {
  const tables: Record<string, Omit<CreateTableCommandInput, 'TableName'>> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::DynamoDB::Table') continue;
    const p = resource.Properties;
    tables[id] = {
      AttributeDefinitions: p.AttributeDefinitions,
      KeySchema: p.KeySchema,
      BillingMode: p.BillingMode,
      GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
      StreamSpecification: p.StreamSpecification
        ? { StreamEnabled: true, StreamViewType: p.StreamSpecification.StreamViewType }
        : undefined,
    };
  }
  return tables;
}

/** The state machine definition with the template's DefinitionSubstitutions resolved by `resolve`. */
export function workflowDefinition(
  resolve: (name: string, value: unknown) => string,
  template = loadTemplate(),
): Record<string, unknown> {
  const machine = template.Resources.OrderWorkflow.Properties;
  const text = readFileSync(join(ROOT, machine.DefinitionUri), 'utf8');
  const substitutions: Record<string, unknown> = machine.DefinitionSubstitutions;
  return JSON.parse(
    text.replace(/\$\{(\w+)\}/g, (_, name: string) => {
      if (!(name in substitutions)) throw new Error(`No DefinitionSubstitution for \${${name}}`);
      return resolve(name, substitutions[name]);
    }),
  );
}
