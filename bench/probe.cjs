// Runs in a fresh Node.js process, as a new Lambda execution environment would: loads one handler
// module as Lambda's runtime does (require() for .js, import() for .mjs), calls it with the event,
// and prints one JSON line of timings (ms).
//
//   node probe.cjs cold <file> <event file>            load + first invocation
//   node probe.cjs warm <file> <event file> <calls>    and then <calls> more with the same event
//
// `node:http` is loaded before the clock starts. The SDK loads it lazily, on the first request to a
// plain-http endpoint such as the local DynamoDB; against Lambda's https endpoints it has loaded
// `node:https` with itself already. Without this the first call of every handler would pay 25-35 ms
// that Lambda does not, hiding real differences (issue 11).
'use strict';

require('node:http');
const { readFileSync } = require('node:fs');
const { pathToFileURL } = require('node:url');

const [mode, file, eventFile, callsArg] = process.argv.slice(2);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: 'bench',
  logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
};

/** What the first call answered, in a few words: an HTTP status, an error, or "ok". */
function outcome(result, error) {
  if (error) return `error ${error.name}: ${String(error.message).slice(0, 200)}`;
  if (result && typeof result === 'object' && 'statusCode' in result)
    return `HTTP ${result.statusCode}`;
  if (result && typeof result === 'object' && Array.isArray(result.batchItemFailures))
    return result.batchItemFailures.length
      ? `${result.batchItemFailures.length} records failed`
      : 'ok';
  return 'ok';
}

async function main() {
  const text = readFileSync(eventFile, 'utf8');
  const start = now();
  const module = file.endsWith('.mjs') ? await import(pathToFileURL(file).href) : require(file);
  const handler = module.handler;
  const loadMs = now() - start;
  const call = async () => {
    const t = now();
    let result;
    let error;
    try {
      result = await handler(JSON.parse(text), context);
    } catch (err) {
      error = err;
    }
    return { ms: now() - t, result, error };
  };
  const first = await call();
  // The measured window on the monotonic clock, in µs: what a CPU profile's timestamps count in.
  const window = [start * 1000, (start + loadMs + first.ms) * 1000];
  const report = { loadMs, firstMs: first.ms, outcome: outcome(first.result, first.error), window };
  if (mode === 'cold') return report;
  const times = [];
  for (let i = 0; i < Number(callsArg); i++) times.push((await call()).ms);
  return { ...report, times };
}

main().then(
  (report) => {
    process.stdout.write(`\nPROBE ${JSON.stringify(report)}\n`, () => process.exit(0));
  },
  (err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
