// Runs in a fresh Node.js process, as a new Lambda execution environment would: loads one handler
// module as Lambda's runtime does (require() for .js, import() for .mjs), calls it with the event,
// and prints one JSON line of timings (ms).
//
//   node probe.cjs cold <file> <event file>                           load + first invocation
//   node probe.cjs warm <file> <event file> <calls> <warm events file>  and then <calls> more,
//                                                      each with the next of the warm events
//
// The console is patched as Lambda's runtime patches it with the JSON log format (each call one
// JSON line, written with fs.writeSync as the runtime writes to its log descriptor), so a
// function's logging costs here what it costs on Lambda.
//
// `node:http` is loaded before the clock starts. The SDK loads it lazily, on the first request to a
// plain-http endpoint such as the local DynamoDB; against Lambda's https endpoints it has loaded
// `node:https` with itself already. Without this the first call of every handler would pay 25-35 ms
// that Lambda does not, hiding real differences (issue 11).
//
// Each warm call also reports how long it waited on the services it called: the time during
// which at least one HTTP request (to the local DynamoDB, here) was outstanding, from the request
// until its response was read. What is left is the function's own time.
'use strict';

const http = require('node:http');
const { readFileSync, writeSync } = require('node:fs');
const { format } = require('node:util');

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Milliseconds with a request outstanding since the last reset (the union, not the sum). */
const waiting = { outstanding: 0, since: 0, ms: 0 };
const request = http.request;
http.request = function measuredRequest(...args) {
  const req = request.apply(this, args);
  if (waiting.outstanding++ === 0) waiting.since = now();
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    if (--waiting.outstanding === 0) waiting.ms += now() - waiting.since;
  };
  req.on('response', (res) => res.on('end', end));
  req.on('close', end);
  return req;
};

for (const level of ['trace', 'debug', 'info', 'warn', 'error']) {
  console[level] = (...params) => {
    const entry = { timestamp: new Date().toISOString(), level: level.toUpperCase() };
    const message = params.length === 1 ? params[0] : format(...params);
    writeSync(1, `${JSON.stringify({ ...entry, requestId: 'bench', message })}\n`);
  };
}
console.log = console.info;
const { pathToFileURL } = require('node:url');

const [mode, file, eventFile, callsArg, warmEventsFile] = process.argv.slice(2);
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
  const call = async (eventText = text) => {
    waiting.ms = 0;
    const t = now();
    let result;
    let error;
    try {
      result = await handler(JSON.parse(eventText), context);
    } catch (err) {
      error = err;
    }
    return { ms: now() - t, waitedMs: waiting.ms, result, error };
  };
  const first = await call();
  // The measured window on the monotonic clock, in µs: what a CPU profile's timestamps count in.
  const window = [start * 1000, (start + loadMs + first.ms) * 1000];
  const report = { loadMs, firstMs: first.ms, outcome: outcome(first.result, first.error), window };
  if (mode === 'cold') return report;
  const warmEvents = warmEventsFile
    ? JSON.parse(readFileSync(warmEventsFile, 'utf8')).map((e) => JSON.stringify(e))
    : [text];
  const times = [];
  const waits = [];
  for (let i = 0; i < Number(callsArg); i++) {
    const { ms, waitedMs } = await call(warmEvents[i % warmEvents.length]);
    times.push(ms);
    waits.push(waitedMs);
  }
  return { ...report, times, waits };
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
