import { join } from 'node:path';
import type { FaultRequest } from '../control';
import { ROOT } from '../template';
import { CommandError, numberOption, parseCommandLine, runCommand, UsageError } from './args';
import { runningStack } from './stack-file';

const USAGE = `Injects a fault into the running local stack: npm run fault -- <what> [options]

  dynamodb unavailable <seconds>   DynamoDB answers 503 ServiceUnavailable
  dynamodb unreachable <seconds>   DynamoDB refuses connections
  dynamodb throttle <seconds> [--fraction <0-1>]
                                   DynamoDB answers ProvisionedThroughputExceededException
  lambda <Function> timeout|crash|error|throttle [--count <n> | --seconds <s>]
                                   the function's next invocations time out, crash the
                                   environment after running, fail before running, or are
                                   throttled (429), as Lambda would
  list                             the faults in force
  clear                            end every fault now

  --state-dir <dir>   the running stack's state directory (default .local)

Examples:
  npm run fault -- dynamodb unavailable 45
  npm run fault -- lambda ProcessOrderFunction timeout --count 2`;

runCommand(USAGE, async () => {
  const { values, positionals } = parseCommandLine(
    USAGE,
    {
      count: { type: 'string' },
      seconds: { type: 'string' },
      fraction: { type: 'string' },
      'state-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    process.argv.slice(2),
    true,
  );
  if (values.help) return console.log(USAGE);
  const [service, a, b, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`Unexpected ${extra.join(' ')}`);
  let request: RequestInit;
  if (service === 'list' || service === 'clear') {
    if (a !== undefined) throw new UsageError(`Unexpected ${positionals.slice(1).join(' ')}`);
    request = { method: service === 'list' ? 'GET' : 'DELETE' };
  } else {
    let fault: FaultRequest;
    if (service === 'dynamodb') {
      if (a !== 'unavailable' && a !== 'unreachable' && a !== 'throttle') {
        throw new UsageError(
          `dynamodb takes unavailable, unreachable or throttle, not "${a ?? ''}"`,
        );
      }
      const seconds = numberOption('seconds', b, { min: 1, max: 3600 });
      if (seconds === undefined)
        throw new UsageError('How many seconds? e.g. dynamodb unavailable 45');
      fault = {
        service,
        mode: a,
        seconds,
        fraction: numberOption('fraction', values.fraction, { min: 0, max: 1, integer: false }),
      };
    } else if (service === 'lambda') {
      if (!a || (b !== 'timeout' && b !== 'crash' && b !== 'error' && b !== 'throttle')) {
        throw new UsageError('lambda takes a function name and timeout, crash, error or throttle');
      }
      if (values.count !== undefined && values.seconds !== undefined) {
        throw new UsageError('Give --count or --seconds, not both');
      }
      fault = {
        service,
        function: a,
        kind: b,
        count: numberOption('count', values.count, { min: 1 }),
        seconds: numberOption('seconds', values.seconds, { min: 1, max: 3600 }),
      };
    } else {
      throw new UsageError(service ? `Unknown fault target "${service}"` : 'What should fail?');
    }
    request = {
      method: 'POST',
      body: JSON.stringify(fault),
      headers: { 'content-type': 'application/json' },
    };
  }
  const { controlUrl } = runningStack(values['state-dir'] ?? join(ROOT, '.local'));
  const response = await fetch(`${controlUrl}/faults`, request);
  const body = await response.json();
  if (!response.ok) {
    const { message } = body as { message?: string };
    throw new CommandError(`The stack refused: ${message ?? JSON.stringify(body)}`);
  }
  console.log(JSON.stringify(body, null, 2));
});
