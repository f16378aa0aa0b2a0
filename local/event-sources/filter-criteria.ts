/**
 * Lambda event filtering for event source mappings: a record is passed to the function when it
 * matches any of the mapping's filter patterns. Supports the pattern forms the AWS docs list for
 * Lambda: exact values, `prefix`, `suffix`, `anything-but`, `exists`, and `numeric` comparisons.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
 */
export type FilterPattern = { [key: string]: FilterPattern | unknown[] };

export function matchesAny(record: unknown, patterns: FilterPattern[]): boolean {
  return patterns.length === 0 || patterns.some((p) => matches(record, p));
}

export function matches(value: unknown, pattern: FilterPattern): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual =
      value !== null && typeof value === 'object'
        ? (value as Record<string, unknown>)[key]
        : undefined;
    if (Array.isArray(expected)) return expected.some((rule) => matchesRule(actual, rule));
    return matches(actual, expected as FilterPattern);
  });
}

function matchesRule(actual: unknown, rule: unknown): boolean {
  if (rule === null || typeof rule !== 'object') {
    return Array.isArray(actual) ? actual.includes(rule) : actual === rule;
  }
  const [operator, operand] = Object.entries(rule)[0] ?? [];
  switch (operator) {
    case 'exists':
      return (actual !== undefined) === operand;
    case 'prefix':
      return typeof actual === 'string' && actual.startsWith(String(operand));
    case 'suffix':
      return typeof actual === 'string' && actual.endsWith(String(operand));
    case 'anything-but': {
      const excluded = Array.isArray(operand) ? operand : [operand];
      return actual !== undefined && !excluded.includes(actual);
    }
    case 'numeric':
      return typeof actual === 'number' && numericMatch(actual, operand as unknown[]);
    default:
      throw new Error(`Filter rule ${JSON.stringify(rule)} is not supported locally`);
  }
}

function numericMatch(actual: number, conditions: unknown[]): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const op = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok =
      (op === '=' && actual === bound) ||
      (op === '<' && actual < bound) ||
      (op === '<=' && actual <= bound) ||
      (op === '>' && actual > bound) ||
      (op === '>=' && actual >= bound);
    if (!ok) return false;
  }
  return true;
}
