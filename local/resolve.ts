import type { Template } from './template';

/** How local names stand in for what CloudFormation would create. */
export interface ResolveContext {
  template: Template;
  parameters: Record<string, string>;
  region: string;
  accountId: string;
  /** `!Ref LogicalId` of a resource. */
  ref(logicalId: string): string;
  /** `!GetAtt LogicalId.Attribute`. */
  getAtt(logicalId: string, attribute: string): string;
}

type Value = unknown;

/** Evaluates a condition of the template's `Conditions` section. */
export function condition(ctx: ResolveContext, name: string): boolean {
  const definition = ctx.template.Conditions?.[name];
  if (definition === undefined) throw new Error(`Unknown condition ${name}`);
  return Boolean(resolve(ctx, definition));
}

function pseudoParameter(ctx: ResolveContext, name: string): string | undefined {
  return {
    'AWS::Region': ctx.region,
    'AWS::AccountId': ctx.accountId,
    'AWS::StackName': 'local',
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  }[name];
}

function resolveRef(ctx: ResolveContext, name: string): string {
  const pseudo = pseudoParameter(ctx, name);
  if (pseudo !== undefined) return pseudo;
  if (name in ctx.parameters) return ctx.parameters[name] as string;
  const parameter = ctx.template.Parameters?.[name];
  if (parameter) return String(parameter.Default ?? '');
  if (ctx.template.Resources[name]) return ctx.ref(name);
  throw new Error(`Cannot resolve !Ref ${name}`);
}

/**
 * Resolves the CloudFormation intrinsic functions the template uses (Ref, GetAtt, Sub, If, Equals,
 * Not, And, Or, Join, Condition) against local names. Anything else is an error, not a guess.
 */
export function resolve(ctx: ResolveContext, value: Value): Value {
  if (Array.isArray(value)) return value.map((v) => resolve(ctx, v));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, Value>);
  if (entries.length !== 1) {
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(ctx, v)]));
  }
  const [key, arg] = entries[0] as [string, Value];
  switch (key) {
    case 'Ref':
      return resolveRef(ctx, String(arg));
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
      return ctx.getAtt(String(id), String(attribute));
    }
    case 'Fn::Sub': {
      const [text, vars = {}] = Array.isArray(arg) ? arg : [arg];
      return String(text).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name in (vars as object))
          return String(resolve(ctx, (vars as Record<string, Value>)[name]));
        if (name.includes('.') && !name.startsWith('AWS::')) {
          const [id, attribute] = name.split('.') as [string, string];
          return ctx.getAtt(id, attribute);
        }
        return resolveRef(ctx, name);
      });
    }
    case 'Fn::If': {
      const [name, yes, no] = arg as [string, Value, Value];
      const chosen = condition(ctx, name) ? yes : no;
      return isNoValue(chosen) ? undefined : resolve(ctx, chosen);
    }
    case 'Fn::Equals': {
      const [a, b] = (arg as Value[]).map((v) => resolve(ctx, v));
      return String(a) === String(b);
    }
    case 'Fn::Not':
      return !resolve(ctx, (arg as Value[])[0]);
    case 'Fn::And':
      return (arg as Value[]).every((v) => resolve(ctx, v));
    case 'Fn::Or':
      return (arg as Value[]).some((v) => resolve(ctx, v));
    case 'Condition':
      return condition(ctx, String(arg));
    case 'Fn::Join': {
      const [separator, items] = arg as [string, Value[]];
      return (resolve(ctx, items) as Value[]).join(separator);
    }
    default:
      if (key.startsWith('Fn::')) throw new Error(`${key} is not supported locally`);
      return { [key]: resolve(ctx, arg) };
  }
}

function isNoValue(value: Value): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { Ref?: string }).Ref === 'AWS::NoValue'
  );
}
