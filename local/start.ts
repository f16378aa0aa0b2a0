import { join, relative } from 'node:path';
import { CommandError, numberOption, parseCommandLine, runCommand, UsageError } from './cli/args';
import { PortInUseError } from './net';
import { DEFAULT_PORTS, startLocalStack } from './stack';
import { ROOT } from './template';

const USAGE = `Runs the whole application locally: npm start [-- options]

  --port <n>              HTTP API port (default ${DEFAULT_PORTS.api})
  --issuer-port <n>       local token issuer port (default ${DEFAULT_PORTS.issuer})
  --dynamodb-port <n>     DynamoDB port (default ${DEFAULT_PORTS.dynamodb})
  --messaging-port <n>    SNS/SQS port (default ${DEFAULT_PORTS.messaging})
  --sfn-port <n>          Step Functions port (default ${DEFAULT_PORTS.stepFunctions})
  --control-port <n>      fault injection port, for npm run fault (default ${DEFAULT_PORTS.control})
  --any-ports             let the system pick every port (for tests and parallel stacks)
  --host <address>        address every service listens on (default 127.0.0.1); 0.0.0.0 lets
                          SAM CLI's containers reach them (sam local invoke --env-vars)
  --persist               keep tables, streams and queued messages in <state-dir> between runs
  --state-dir <dir>       where issuer keys, the stack's addresses and persisted data live
                          (default .local); npm run token and npm run fault read it there
  --function-logs         print every function log line, not only warnings and errors
  --authorizer <jwt|lambda>  the API's authorizer, as the template's Authorizer parameter
                          chooses it: jwt (default, what deploys) or lambda (the Lambda
                          authorizer AuthorizeRequestFunction, what sam local start-api runs)
  --visibility-timeout <s>  shorten the queues' visibility timeout, so failed messages
                          come back (and reach the dead-letter queue) within seconds
  --retry-delay <ms>      a fixed pause before workflow and stream retries, instead of backoff
  --reconcile-every <s>   how often the reconciler runs (default 10; 5 minutes in AWS)
  --stale-after <s>       when the reconciler takes an unfinished order for stalled (default 30)
  --no-seed               do not stock the demo SKUs
  --help                  this text

Faults, while it runs (see npm run fault -- --help):
  npm run fault -- dynamodb unavailable 45     DynamoDB answers 503 for 45 seconds
  npm run fault -- dynamodb unreachable 45     DynamoDB refuses connections for 45 seconds
  npm run fault -- dynamodb throttle 30        DynamoDB throttles for 30 seconds
  npm run fault -- lambda ProcessOrderFunction timeout --count 2
  npm run fault -- lambda ShipOrderFunction crash --count 1
  npm run fault -- lambda CreateOrderFunction throttle --seconds 10
  npm run fault -- clear`;

function time() {
  return new Date().toISOString().slice(11, 23);
}

/**
 * The stack's log lines, written once per turn of the event loop. Writes to a pipe are
 * synchronous on Linux (https://nodejs.org/api/process.html#a-note-on-process-io): one per
 * line, under load, was a tenth of the stack's main thread and held every request behind it.
 */
const logLines = {
  pending: [] as string[],
  write(line: string) {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(line);
  },
  flush() {
    if (this.pending.length === 0) return;
    process.stdout.write(`${this.pending.join('\n')}\n`);
    this.pending = [];
  },
};
process.on('exit', () => logLines.flush());

async function main() {
  const { values } = parseCommandLine(USAGE, {
    port: { type: 'string' },
    'issuer-port': { type: 'string' },
    'dynamodb-port': { type: 'string' },
    'messaging-port': { type: 'string' },
    'sfn-port': { type: 'string' },
    'control-port': { type: 'string' },
    'any-ports': { type: 'boolean', default: false },
    host: { type: 'string' },
    persist: { type: 'boolean', default: false },
    'state-dir': { type: 'string' },
    'function-logs': { type: 'boolean', default: false },
    authorizer: { type: 'string', default: 'jwt' },
    'visibility-timeout': { type: 'string' },
    'retry-delay': { type: 'string' },
    'reconcile-every': { type: 'string' },
    'stale-after': { type: 'string' },
    'no-seed': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (values.help) return console.log(USAGE);
  const port = (name: string, v?: string) =>
    v !== undefined ? numberOption(name, v, { max: 65535 }) : values['any-ports'] ? 0 : undefined;
  const authorizers = { jwt: 'JwtAuthorizer', lambda: 'LambdaAuthorizer' } as const;
  const authorizer = authorizers[values.authorizer as keyof typeof authorizers];
  if (!authorizer)
    throw new UsageError(`--authorizer must be jwt or lambda, not "${values.authorizer}"`);
  const started = performance.now();
  const stateDir = values['state-dir'] ?? join(ROOT, '.local');
  const stack = await startLocalStack({
    host: values.host,
    ports: {
      api: port('port', values.port),
      issuer: port('issuer-port', values['issuer-port']),
      dynamodb: port('dynamodb-port', values['dynamodb-port']),
      messaging: port('messaging-port', values['messaging-port']),
      stepFunctions: port('sfn-port', values['sfn-port']),
      control: port('control-port', values['control-port']),
    },
    persist: values.persist,
    stateDir,
    functionLogs: values['function-logs'],
    authorizer,
    visibilityTimeoutSeconds: numberOption('visibility-timeout', values['visibility-timeout'], {
      min: 0,
      max: 43200,
    }),
    retryDelayMs: numberOption('retry-delay', values['retry-delay']),
    reconcileEverySeconds:
      numberOption('reconcile-every', values['reconcile-every'], { min: 1 }) ?? 10,
    staleAfterSeconds: numberOption('stale-after', values['stale-after'], { min: 1 }),
    seed: !values['no-seed'],
    log: (line) => logLines.write(`${time()} ${line}`),
  });
  const ms = Math.round(performance.now() - started);
  const dir = relative(ROOT, stateDir);
  const stateFlag = dir === '.local' ? '' : ` --state-dir ${stateDir}`;
  logLines.flush();
  console.log(`
Orders application running locally (started in ${ms} ms)
  HTTP API        ${stack.apiUrl}   ${stack.routes.join(', ')} (${authorizer})
  Token issuer    ${stack.issuer}   (TOKEN=$(npm run -s token -- --sub alice${stateFlag}))
  DynamoDB        ${stack.dynamodb.url}   (${stack.dynamodb.kind}; tables ${Object.values(stack.dynamodb.tables).join(', ')})
  SNS/SQS         ${stack.messagingUrl}
  Step Functions  ${stack.stepFunctionsUrl}
  Stock arrivals  ${stack.queues.StockArrivalsQueue}
  Faults          ${stack.controlUrl}   (npm run fault -- --help${stateFlag})
Ctrl-C stops everything.
`);
  // A machine-readable line for scripts and tests that start the stack (through a pipe; a
  // person at a terminal has the banner).
  const {
    keys: _k,
    lambda: _l,
    stepFunctions: _s,
    faults: _f,
    usage: _u,
    stop: _t,
    ...info
  } = stack;
  logLines.flush();
  if (!process.stdout.isTTY) console.log(`READY ${JSON.stringify(info)}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logLines.flush();
    console.log(`${time()} ${signal}: stopping`);
    // Whatever happens, the process ends: a stuck stop must not keep the ports.
    setTimeout(() => process.exit(1), 10_000).unref();
    await stack.stop();
    logLines.flush();
    console.log(`${time()} stopped`);
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown(signal));
  }
  // Piped into `tee` or `less`, Ctrl-C ends the reader too: the log has nowhere to go, but the
  // stack must still stop cleanly (and remove its stack file), not die of EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      void shutdown('output closed');
    });
  }
  // npm forwards SIGINT and SIGTERM to the script but not SIGHUP, and nothing survives a SIGKILL:
  // when whatever started the stack is gone, the stack goes too rather than holding its ports.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown('parent process gone');
  }, 500).unref();
}

// Lambda runs nodejs24.x; so does the local stack (npm scripts put node_modules' Node.js 24
// first on PATH). Another major fails in confusing ways, so say so plainly.
if (process.versions.node.split('.')[0] !== '24') {
  console.error(`The local stack needs Node.js 24, not ${process.version}: run it with npm start.`);
  process.exit(1);
}

runCommand(USAGE, async () => {
  try {
    await main();
  } catch (err: unknown) {
    if (err instanceof PortInUseError) {
      throw new CommandError(`${err.message}\nSee npm start -- --help for the port options.`);
    }
    throw err;
  }
});
