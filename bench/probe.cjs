// Runs in a fresh Node.js process, as a new Lambda execution environment would: loads one
// handler module and, depending on the mode, calls it. Prints one JSON line of timings (ms).
const { readFileSync } = require('node:fs');

const [mode, file, exportName, eventFile, countArg] = process.argv.slice(2);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const context = {
  functionName: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
  memoryLimitInMB: '512',
  awsRequestId: 'bench',
  getRemainingTimeInMillis: () => 10_000,
};

async function main() {
  const start = now();
  const handler = require(file)[exportName];
  const loadMs = now() - start;
  if (mode === 'load') return { loadMs };
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  const call = async (e) => {
    const t = now();
    try {
      await handler(structuredClone(e), context);
    } catch {
      // a handler's error still costs its time; the benchmark measures time, not outcomes
    }
    return now() - t;
  };
  const firstMs = await call(event);
  if (mode === 'first') return { loadMs, firstMs };
  const times = [];
  for (let i = 0; i < Number(countArg); i++) times.push(await call(event));
  return { loadMs, firstMs, times };
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
