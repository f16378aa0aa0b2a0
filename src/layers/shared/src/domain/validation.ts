import { type core, safeParse } from 'zod/mini';
import { type FieldIssue, ValidationError } from '../errors';

/**
 * Validation at the boundary, with zod's tree-shakable build (`zod/mini`): schemas are plain
 * data, checks are functions, and nothing of zod that a schema does not use is bundled. zod/mini
 * ships no message catalogue, so this module words each issue itself, naming the field at fault by
 * its path (`items.0.sku`); an unknown property is named by its own path (`shippingAddress.zip`).
 */

/** A schema of zod (classic or mini), as every parse here accepts. */
export type Schema<T> = core.$ZodType<T>;

/** The words of one issue, from its code (a check's own message wins). */
function describe(issue: core.$ZodIssue): string {
  if (issue.message && issue.message !== 'Invalid input') return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      // A property that is not there at all (the parse reports each issue's input).
      if ('input' in issue && issue.input === undefined) return 'is required';
      return issue.expected === 'int' ? 'must be a whole number' : `must be ${a(issue.expected)}`;
    case 'too_small':
      return issue.origin === 'string' || issue.origin === 'array'
        ? `must have at least ${issue.minimum} ${issue.origin === 'string' ? 'character' : 'entry'}${Number(issue.minimum) === 1 ? '' : 's'}`
        : `must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'string' || issue.origin === 'array'
        ? `must have at most ${issue.maximum} ${issue.origin === 'string' ? 'characters' : 'entries'}`
        : `must be at most ${issue.maximum}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return 'is not valid';
  }
}

function a(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/** Turns zod issues into the `{ field, message }` list a 400 answer carries. */
export function toFieldIssues(issues: readonly core.$ZodIssue[], prefix = ''): FieldIssue[] {
  const field = (path: readonly PropertyKey[]) =>
    [prefix, ...path.map(String)].filter(Boolean).join('.') || '(root)';
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: field([...issue.path, key]), message: 'is not allowed' }))
      : [{ field: field(issue.path), message: describe(issue) }],
  );
}

/**
 * Parses `input` with `schema` and returns the typed value.
 * @param prefix names the part of the request the input came from (`Idempotency-Key`, `cursor`)
 * @throws ValidationError listing every field at fault
 */
export function parseOrThrow<T>(schema: Schema<T>, input: unknown, prefix = ''): T {
  const result = safeParse(schema, input, { reportInput: true });
  if (!result.success) throw new ValidationError(toFieldIssues(result.error.issues, prefix));
  return result.data;
}
