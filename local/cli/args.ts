import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A command-line mistake: printed as one line and the usage, never as a stack trace. */
export class UsageError extends Error {}

/** A failure the user can act on (no stack running, a port in use): printed as its message. */
export class CommandError extends Error {}

/**
 * Parses a command line strictly (unknown options and stray arguments are mistakes) and, on a
 * mistake, prints one line saying what is wrong followed by the usage, and exits with status 2.
 */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig['options']>>(
  usage: string,
  options: T,
  argv = process.argv.slice(2),
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err: unknown) {
    exitWithUsage(usage, (err as Error).message);
  }
}

/** A number option: a whole number in range, or a usage error naming the option. */
export function numberOption(
  name: string,
  value: string | undefined,
  { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const ok = value.trim() !== '' && Number.isFinite(n) && (!integer || Number.isInteger(n));
  if (!ok || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of ${min} or more` : `from ${min} to ${max}`;
    throw new UsageError(
      `--${name} must be ${integer ? 'a whole number' : 'a number'} ${range}, not "${value}"`,
    );
  }
  return n;
}

export function exitWithUsage(usage: string, problem: string): never {
  console.error(`${problem}\n\n${usage}`);
  process.exit(2);
}

/** Runs a command's main: a UsageError prints the usage, a CommandError its message. */
export function runCommand(usage: string, main: () => Promise<unknown>) {
  main().catch((err: unknown) => {
    if (err instanceof UsageError) exitWithUsage(usage, err.message);
    console.error(err instanceof CommandError ? err.message : err);
    process.exit(1);
  });
}
