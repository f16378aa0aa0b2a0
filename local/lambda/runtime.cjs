// The runtime bootstrap of one execution environment: what Lambda's Node.js runtime does inside
// the environment, in a child process that the parent starts with plain `node` (no loader, no
// hooks) and exactly the function's environment variables.
//
// It follows Lambda's Node.js runtime interface client (src/UserFunction.js, Errors.js,
// index.mjs and Runtime.js of https://github.com/aws/aws-lambda-nodejs-runtime-interface-client):
// - init loads `<task root>/<module>` with require(), so `@orders/shared` resolves through
//   NODE_PATH as on Lambda; a missing module is Runtime.ImportModuleError, a syntax error
//   Runtime.UserCodeSyntaxError, a missing export Runtime.HandlerNotFound, and anything else the
//   module throws is reported as itself (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html);
// - one invocation at a time, with Lambda's context object
//   (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html);
// - an uncaught exception reports the error to the invocation in flight, then exits 129; an
//   unhandled rejection reports Runtime.UnhandledPromiseRejection, then exits 128.
// Events and results cross as JSON text, as they do on Lambda.
//
// argv: <task root> <handler, e.g. index.handler> <compile cache dir or ''>
'use strict';

const { existsSync } = require('node:fs');
const { enableCompileCache } = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { format } = require('node:util');

const [taskRoot, handlerString, compileCacheDir] = process.argv.slice(2);
// A burst of cold starts compiles the layer once instead of once per environment. Unseen by the
// function: no environment variable is set.
if (compileCacheDir) enableCompileCache(compileCacheDir);

let currentRequestId;

/** An error as the runtime reports it to Lambda (Errors.js toRapidResponse). */
function toRapidResponse(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: String(error.stack ?? '').split('\n'),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function runtimeError(type, message) {
  const error = new Error(message);
  error.name = `Runtime.${type}`;
  return error;
}

// Lambda's runtime replaces the console methods (LogPatch.js): each call becomes one line with the
// time, the request id and the level, as text or, with `AWS_LAMBDA_LOG_FORMAT=JSON`, as
// `{"timestamp","level","requestId","message"}`, where a single argument is the message as it is
// and any Error in it is written as {errorType, errorMessage, stackTrace}; calls below
// `AWS_LAMBDA_LOG_LEVEL` are dropped. Newlines become \r, so a line is one log event.
// https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html#node-js-logging-advanced
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const json = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
const minimum = Math.max(0, LEVELS.indexOf(process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()));

function serializeErrors(_key, value) {
  if (!(value instanceof Error)) return value;
  const stackTrace = typeof value.stack === 'string' ? value.stack.split('\n') : value.stack;
  const errorType = value?.constructor?.name ?? 'UnknownError';
  return { errorType, errorMessage: value.message, stackTrace, ...value };
}

function formatLine(level, params) {
  const timestamp = new Date().toISOString();
  if (!json) return `${timestamp}\t${currentRequestId}\t${level}\t${format(...params)}`;
  const entry = { timestamp, level, requestId: currentRequestId };
  if (params.length === 1) {
    try {
      return JSON.stringify({ ...entry, message: params[0] }, serializeErrors);
    } catch {
      return JSON.stringify({ ...entry, message: format(params[0]) });
    }
  }
  const error = params.find((p) => p instanceof Error);
  return JSON.stringify({
    ...entry,
    message: format(...params),
    ...(error
      ? { errorType: error.constructor?.name ?? 'UnknownError', errorMessage: error.message }
      : {}),
    ...(error ? { stackTrace: String(error.stack ?? '').split('\n') } : {}),
  });
}

for (const [index, level] of LEVELS.entries()) {
  const method = level === 'FATAL' ? 'fatal' : level.toLowerCase();
  console[method] =
    index < minimum
      ? () => {}
      : (...params) => process.stdout.write(`${formatLine(level, params).replace(/\n/g, '\r')}\n`);
}
console.log = console.info;

/** One log line per error, as Lambda's runtime writes it (structuredConsole.logError). */
function logError(message, error) {
  const err = error instanceof Error ? error : new Error(String(error));
  if (json) console.error(err);
  else {
    const { errorType, errorMessage, trace } = toRapidResponse(error);
    console.error(message, JSON.stringify({ errorType, errorMessage, stack: trace }));
  }
}

async function loadHandler() {
  const match = /^([^.]*)\.(.*)$/.exec(path.basename(handlerString));
  if (!match) throw runtimeError('MalformedHandlerName', 'Bad handler');
  const [, moduleName, handlerPath] = match;
  const file = path.resolve(taskRoot, path.dirname(handlerString), moduleName);
  let app;
  try {
    if (existsSync(`${file}.mjs`)) app = await import(pathToFileURL(`${file}.mjs`).href);
    else {
      const found = ['', '.js', '.cjs'].map((ext) => file + ext).find((f) => existsSync(f));
      // Not found: resolve the name as the runtime does, for its error message.
      app = require(found ?? require.resolve(moduleName, { paths: [taskRoot] }));
    }
  } catch (err) {
    if (err instanceof SyntaxError) throw runtimeError('UserCodeSyntaxError', String(err));
    if (err?.code === 'MODULE_NOT_FOUND') throw runtimeError('ImportModuleError', String(err));
    throw err;
  }
  const handler = handlerPath.split('.').reduce((object, key) => object?.[key], app);
  if (!handler) {
    throw runtimeError('HandlerNotFound', `${handlerString} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw runtimeError('HandlerNotFound', `${handlerString} is not a function`);
  }
  return handler;
}

/** Reports a failure to the invocation in flight (or to init), then ends the environment. */
function die(label, error, exitCode) {
  logError(label, error);
  const report = toRapidResponse(error);
  const message = currentRequestId
    ? { type: 'error', requestId: currentRequestId, error: report }
    : { type: 'init-error', error: report };
  process.send(message, () => process.exit(exitCode));
}

process.on('uncaughtException', (error) => die('Uncaught Exception', error, 129));
process.on('unhandledRejection', (reason) =>
  die(
    'Unhandled Promise Rejection',
    runtimeError('UnhandledPromiseRejection', String(reason)),
    128,
  ),
);

// The parent went away: an environment never outlives its service.
process.on('disconnect', () => process.exit());

async function main() {
  const started = performance.now();
  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    return die('Init Error', err, 129);
  }

  process.on('message', (message) => {
    if (message.type !== 'invoke') return;
    const { requestId, event, deadlineMs, context, fault } = message;
    currentRequestId = requestId;
    // A fault injected by the service: hang until the timeout ends the environment.
    if (fault === 'timeout') return;
    const lambdaContext = {
      ...context,
      awsRequestId: requestId,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => deadlineMs - Date.now(),
    };
    const answer = (reply) => {
      // A fault injected by the service: the work is done, the environment dies before answering.
      if (fault === 'crash') return process.exit(1);
      currentRequestId = undefined;
      process.send({ requestId, ...reply });
    };
    // A fault injected by the service: the function fails before doing anything.
    if (fault === 'error') {
      const err = Object.assign(new Error('Failed by fault injection, before running'), {
        name: 'InjectedError',
      });
      logError('Invoke Error', err);
      return answer({ type: 'error', error: toRapidResponse(err) });
    }
    Promise.resolve()
      .then(() => handler(JSON.parse(event), lambdaContext))
      .then(
        (result) => answer({ type: 'result', result: JSON.stringify(result ?? null) }),
        (err) => {
          logError('Invoke Error', err);
          answer({ type: 'error', error: toRapidResponse(err) });
        },
      );
  });
  process.send({ type: 'ready', initMs: performance.now() - started });
}

void main();
