// One Lambda execution environment: a worker thread with the function's own environment
// variables (process.env here is the worker's copy), running its bundle as Lambda would.
const { parentPort, workerData } = require('node:worker_threads');

const { file, exportName, functionName, memoryMb, version } = workerData;
let handler;
let initError;
try {
  handler = require(file)[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${file} does not export ${exportName}`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
} catch (err) {
  initError = err;
}

parentPort.on('message', async ({ id, event, requestId, deadline }) => {
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: version,
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    if (initError) throw initError;
    const result = await handler(event, context);
    parentPort.postMessage({ id, result });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    parentPort.postMessage({
      id,
      error: { name: error.name, message: error.message, stack: error.stack },
    });
  }
});
