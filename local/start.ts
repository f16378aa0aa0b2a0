import { parseArgs } from 'node:util';
import { PortInUseError } from './net';
import { startLocalStack } from './stack';

const HELP = `Runs the whole application locally: npm start [-- options]

  --port <n>              HTTP API port (default 3000)
  --issuer-port <n>       local token issuer port (default 3100)
  --dynamodb-port <n>     DynamoDB port (default 8000)
  --messaging-port <n>    SNS/SQS port (default 4566)
  --sfn-port <n>          Step Functions port (default 8083)
  --any-ports             let the system pick every port (for tests and parallel stacks)
  --persist               keep DynamoDB data in <state-dir>/dynamodb between runs
  --state-dir <dir>       where issuer keys and persisted data live (default .local)
  --function-logs         print every function log line, not only warnings and errors
  --visibility-timeout <s>  shorten the queues' visibility timeout, so failed messages
                          come back (and reach the dead-letter queue) within seconds
  --retry-delay <ms>      base pause before stream and workflow retries
  --no-seed               do not stock the demo SKUs
  --help                  this text`;

function time() {
  return new Date().toISOString().slice(11, 23);
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'issuer-port': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'messaging-port': { type: 'string' },
      'sfn-port': { type: 'string' },
      'any-ports': { type: 'boolean', default: false },
      persist: { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      'function-logs': { type: 'boolean', default: false },
      'visibility-timeout': { type: 'string' },
      'retry-delay': { type: 'string' },
      'no-seed': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(HELP);
  const port = (v?: string) => (v !== undefined ? Number(v) : values['any-ports'] ? 0 : undefined);
  const number = (v?: string) => (v === undefined ? undefined : Number(v));
  const started = performance.now();
  const stack = await startLocalStack({
    ports: {
      api: port(values.port),
      issuer: port(values['issuer-port']),
      dynamodb: port(values['dynamodb-port']),
      messaging: port(values['messaging-port']),
      stepFunctions: port(values['sfn-port']),
    },
    persist: values.persist,
    stateDir: values['state-dir'],
    functionLogs: values['function-logs'],
    visibilityTimeoutSeconds: number(values['visibility-timeout']),
    retryDelayMs: number(values['retry-delay']),
    seed: !values['no-seed'],
    log: (line) => console.log(`${time()} ${line}`),
  });
  const ms = Math.round(performance.now() - started);
  console.log(`
Orders application running locally (started in ${ms} ms)
  HTTP API        ${stack.apiUrl}   ${stack.routes.join(', ')}
  Token issuer    ${stack.issuer}   (npm run token -- --sub alice)
  DynamoDB        ${stack.dynamodb.url}   (${stack.dynamodb.kind}; tables ${Object.values(stack.dynamodb.tables).join(', ')})
  SNS/SQS         ${stack.messagingUrl}
  Step Functions  ${stack.stepFunctionsUrl}
  Stock arrivals  ${stack.queues.StockArrivalsQueue}
Ctrl-C stops everything.
`);
  // A machine-readable line for scripts and tests that start the stack.
  console.log(
    `READY ${JSON.stringify({ ...stack, keys: undefined, stop: undefined, usage: undefined })}`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${time()} ${signal}: stopping`);
    await stack.stop();
    console.log(`${time()} stopped`);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

// Lambda runs nodejs24.x; so does the local stack (npm scripts put node_modules' Node.js 24
// first on PATH). Another major fails in confusing ways, so say so plainly.
if (process.versions.node.split('.')[0] !== '24') {
  console.error(`The local stack needs Node.js 24, not ${process.version}: run it with npm start.`);
  process.exit(1);
}

main().catch((err: unknown) => {
  if (err instanceof PortInUseError) {
    console.error(`\n${err.message}\nSee npm start -- --help for the port options.`);
  } else {
    console.error(err);
  }
  process.exit(1);
});
