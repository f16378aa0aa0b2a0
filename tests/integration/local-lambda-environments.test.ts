import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type FunctionConfig,
  FunctionError,
  LambdaService,
  type LambdaServiceOptions,
  RequestTooLargeException,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '../../local/lambda/index';
import { ROOT } from '../../local/template';
import { canRaisePriority } from '../support/priority';

// A handler that reports on its environment and misbehaves on request.
const PROBE = `
const { writeFileSync } = require('node:fs');
const { setTimeout: sleep } = require('node:timers/promises');
let inFlight = 0;
let maxInFlight = 0;
let calls = 0;
exports.handler = async (event, context) => {
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  calls++;
  try {
    if (event.sleepMs) await sleep(event.sleepMs);
    switch (event.action) {
      case 'exit':
        process.exit(event.code);
      case 'throw-later':
        setTimeout(() => { throw new Error('thrown outside the handler'); });
        await sleep(5000);
        break;
      case 'reject-later':
        Promise.reject(new Error('nobody caught this'));
        await sleep(5000);
        break;
      case 'oom': {
        const hog = [];
        for (;;) hog.push(new Array(1e5).fill(Math.random()));
      }
      case 'fail':
        throw Object.assign(new Error('no such order'), { name: 'OrderNotFoundError' });
      case 'touch':
        writeFileSync(event.file, 'done');
        break;
      case 'log':
        console.debug('not wanted at INFO');
        console.log('hello from the handler');
        console.warn({ message: 'a field', orderId: 'o-1', error: new RangeError('too far') });
        break;
      case 'env':
        return { env: process.env, execArgv: process.execArgv, cwd: process.cwd() };
      case 'context':
        return { ...context, remainingMs: context.getRemainingTimeInMillis() };
    }
    return { pid: process.pid, maxInFlight, calls };
  } finally {
    inFlight--;
  }
};
`;

interface ProbeResult {
  pid: number;
  maxInFlight: number;
  calls: number;
}

const work = mkdtempSync(join(tmpdir(), 'local-lambda-'));
let count = 0;
const services: LambdaService[] = [];

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  rmSync(work, { recursive: true, force: true });
});

/** A function directory holding `files`, as /var/task would. */
function codeDir(files: Record<string, string>): string {
  const dir = join(work, `fn-${++count}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

function config(overrides: Partial<FunctionConfig> = {}): FunctionConfig {
  return {
    functionName: 'Probe',
    codeDir: overrides.codeDir ?? codeDir({ 'index.js': PROBE }),
    handler: 'index.handler',
    environment: { AWS_REGION: 'us-east-1', ANSWER: '42' },
    timeoutSeconds: 5,
    memoryMb: 128,
    ...overrides,
  };
}

function service(options: LambdaServiceOptions = {}) {
  const lines: string[] = [];
  const created = new LambdaService({ log: (line) => lines.push(line), ...options });
  services.push(created);
  return { service: created, lines };
}

/** The error an invocation rejected with. */
async function failure(invocation: Promise<unknown>): Promise<unknown> {
  try {
    await invocation;
  } catch (err: unknown) {
    return err;
  }
  throw new Error('The invocation succeeded');
}

async function until(condition: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('local Lambda: execution environments', () => {
  it('runs N concurrent invocations in N environments, one invocation at a time in each', async () => {
    const { service: lambda } = service();
    const fn = lambda.createFunction(config());

    const results = (await Promise.all(
      Array.from({ length: 5 }, () => fn.invoke({ sleepMs: 1500 })),
    )) as ProbeResult[];

    expect(new Set(results.map((r) => r.pid)).size).toBe(5);
    expect(results.map((r) => r.maxInFlight)).toEqual([1, 1, 1, 1, 1]);
    expect(fn.usage).toEqual(
      expect.objectContaining({ invocations: 5, coldStarts: 5, peakEnvironments: 5 }),
    );
  });

  it('reuses an idle environment, the most recently used first, without a cold start', async () => {
    const { service: lambda, lines } = service();
    const fn = lambda.createFunction(config());
    const [, last] = (await Promise.all([
      fn.invoke({ sleepMs: 300 }),
      fn.invoke({ sleepMs: 1000 }),
    ])) as ProbeResult[];

    const next = (await fn.invoke({})) as ProbeResult;

    expect(next.pid).toBe(last?.pid);
    expect(next.calls).toBe(2);
    expect(fn.usage.coldStarts).toBe(2);
    expect(lines.filter((l) => /^Probe: cold start, init \d+ ms$/.test(l))).toHaveLength(2);
  });

  it('shuts idle environments down after the idle timeout', async () => {
    const { service: lambda } = service({ idleTimeoutSeconds: 0.2 });
    const fn = lambda.createFunction(config());
    await Promise.all([fn.invoke({}), fn.invoke({})]);
    expect(fn.environments()).toHaveLength(2);

    await until(() => fn.environments().length === 0);

    expect(fn.usage.peakEnvironments).toBe(2);
  });

  it('throttles beyond the reserved concurrency as Lambda does, running nothing', async () => {
    const { service: lambda } = service();
    const fn = lambda.createFunction(config({ reservedConcurrency: 2 }));
    const running = [fn.invoke({ sleepMs: 300 }), fn.invoke({ sleepMs: 300 })];

    const error = await failure(fn.invoke({}));
    await Promise.all(running);

    expect(error).toBeInstanceOf(TooManyRequestsException);
    expect(error).toMatchObject({
      statusCode: 429,
      reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      Type: 'User',
      message: 'Rate Exceeded.',
    });
    expect(fn.usage).toEqual(
      expect.objectContaining({ invocations: 2, throttles: 1, coldStarts: 2 }),
    );
    await expect(fn.invoke({})).resolves.toBeDefined();
  });

  it('refuses a payload over 6 MB as Lambda does, running nothing', async () => {
    const { service: lambda } = service();
    const fn = lambda.createFunction(config());
    const big = { body: 'x'.repeat(6 * 1024 * 1024) };

    const error = await failure(fn.invoke(big));

    expect(error).toBeInstanceOf(RequestTooLargeException);
    expect(error).toMatchObject({
      statusCode: 413,
      message: `${6 * 1024 * 1024 + 11} byte payload is too large for the RequestResponse invocation type (6291456)`,
    });
    expect(fn.usage).toEqual(expect.objectContaining({ invocations: 0, coldStarts: 0 }));
  });

  it('shares the account concurrency between the functions that reserve none', async () => {
    const { service: lambda } = service({ accountConcurrency: 3 });
    const a = lambda.createFunction(config({ functionName: 'A' }));
    const b = lambda.createFunction(config({ functionName: 'B' }));
    const reserved = lambda.createFunction(config({ functionName: 'C', reservedConcurrency: 1 }));
    const running = [a.invoke({ sleepMs: 300 }), b.invoke({ sleepMs: 300 })];

    const error = await failure(a.invoke({}));
    const own = reserved.invoke({});
    await Promise.all([...running, own]);

    expect(error).toMatchObject({
      name: 'TooManyRequestsException',
      reason: 'ConcurrentInvocationLimitExceeded',
    });
    await expect(own).resolves.toBeDefined();
  });

  it('answers ResourceNotFoundException for a function it does not have', async () => {
    const { service: lambda } = service();

    await expect(lambda.invoke('Nowhere', {})).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('local Lambda: sharing this machine with the other environments', () => {
  it('serves a burst of short invocations with the warm environments, with waitForBusyEnvironments', async () => {
    const { service: lambda } = service({
      waitForBusyEnvironments: true,
      cpuSaturated: () => false,
    });
    const fn = lambda.createFunction(config());
    await Promise.all([fn.invoke({}), fn.invoke({})]);
    for (let i = 0; i < 5; i++) await fn.invoke({});
    const warm = fn.environments().map((e) => e.pid);

    const burst = (await Promise.all(
      Array.from({ length: 6 }, () => fn.invoke({ sleepMs: 2 })),
    )) as ProbeResult[];

    expect(fn.usage.coldStarts).toBe(2);
    expect(warm).toHaveLength(2);
    expect(burst.every((r) => warm.includes(r.pid))).toBe(true);
    expect(burst.map((r) => r.maxInFlight)).toEqual(Array(6).fill(1));
  });

  it('still starts an environment when the busy one would not be free as soon', async () => {
    const { service: lambda } = service({
      waitForBusyEnvironments: true,
      cpuSaturated: () => false,
    });
    const fn = lambda.createFunction(config());
    await fn.invoke({});
    await fn.invoke({});
    const long = fn.invoke({ sleepMs: 4000 }) as Promise<ProbeResult>;
    await sleep(100);

    const started = Date.now();
    const next = (await fn.invoke({})) as ProbeResult;

    expect(Date.now() - started).toBeLessThan(3000);
    expect(next.pid).not.toBe((await long).pid);
    expect(fn.usage.coldStarts).toBe(2);
  });

  it('waits for a busy environment while the CPU is all in use, but not for a stuck one', async () => {
    const { service: lambda } = service({
      waitForBusyEnvironments: true,
      cpuSaturated: () => true,
    });
    const fn = lambda.createFunction(config());
    await fn.invoke({});
    await fn.invoke({});

    const busy = fn.invoke({ sleepMs: 400 }) as Promise<ProbeResult>;
    await sleep(100);
    const waited = (await fn.invoke({})) as ProbeResult;
    const stuck = fn.invoke({ sleepMs: 3500 }) as Promise<ProbeResult>;
    await sleep(100);
    const started = Date.now();
    const next = (await fn.invoke({})) as ProbeResult;

    expect(waited.pid).toBe((await busy).pid);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(next.pid).not.toBe((await stuck).pid);
    expect(fn.usage.coldStarts).toBe(2);
  });

  it('starts an environment at a lower priority with initNice, and runs it at the normal one', async () => {
    const dir = codeDir({
      'index.js': `
        const { getPriority } = require('node:os');
        const atInit = getPriority();
        exports.handler = async () => ({ atInit, invoked: getPriority() });
      `,
    });
    const { service: lambda } = service({ initNice: 10 });
    const fn = lambda.createFunction(config({ codeDir: dir }));

    const result = (await fn.invoke({})) as { atInit: number; invoked: number };

    const normal = getPriority();
    expect(result.atInit).toBe(Math.min(19, normal + 10));
    // Raising a priority again needs CAP_SYS_NICE; without it the environment keeps the lower one.
    expect(result.invoked).toBe(canRaisePriority() ? normal : result.atInit);
  });
});

describe('local Lambda: timeouts, crashes and init failures', () => {
  it('ends only the timed-out environment, reported as Sandbox.Timedout', async () => {
    const { service: lambda } = service();
    const fn = lambda.createFunction(config({ timeoutSeconds: 2 }));
    const slow = failure(fn.invoke({ sleepMs: 60_000 }));
    await sleep(1000);
    const others = Promise.all([fn.invoke({ sleepMs: 1500 }), fn.invoke({ sleepMs: 1500 })]);

    const error = await slow;
    const inFlight = fn.environments().filter((e) => e.busy).length;
    await expect(others).resolves.toHaveLength(2);

    expect(error).toBeInstanceOf(FunctionError);
    expect(error).toMatchObject({ name: 'Sandbox.Timedout', errorType: 'Sandbox.Timedout' });
    expect((error as Error).message).toMatch(
      /^RequestId: [0-9a-f-]{36} Error: Task timed out after 2\.00 seconds$/,
    );
    expect(inFlight).toBe(2);
    await until(() => fn.environments().length === 2);
    await Promise.all([fn.invoke({}), fn.invoke({}), fn.invoke({})]);
    expect(fn.usage.coldStarts).toBe(4);
  });

  it.each([
    [
      'process.exit',
      { action: 'exit', code: 3 },
      'Runtime.ExitError',
      /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 3$/,
    ],
    [
      'process.exit(0)',
      { action: 'exit', code: 0 },
      'Runtime.ExitError',
      /^RequestId: [0-9a-f-]{36} Error: Runtime exited without providing a reason$/,
    ],
    ['an uncaught exception', { action: 'throw-later' }, 'Error', /^thrown outside the handler$/],
    [
      'an unhandled rejection',
      { action: 'reject-later' },
      'Runtime.UnhandledPromiseRejection',
      /^Error: nobody caught this$/,
    ],
    [
      'running out of memory',
      { action: 'oom' },
      'Runtime.OutOfMemory',
      /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed$/,
    ],
  ])('ends only the environment that crashed with %s', async (_, event, errorType, message) => {
    const { service: lambda } = service();
    const fn = lambda.createFunction(config());
    const bystander = fn.invoke({ sleepMs: 1500 });

    const error = await failure(fn.invoke(event));

    expect(error).toMatchObject({ errorType });
    expect((error as Error).message).toMatch(message);
    await expect(bystander).resolves.toMatchObject({ maxInFlight: 1 });
    await until(() => fn.environments().length === 1);
  });

  it('reports a function error as the function threw it and keeps the environment', async () => {
    const { service: lambda } = service();
    const fn = lambda.createFunction(config());

    const error = await failure(fn.invoke({ action: 'fail' }));

    expect(error).toMatchObject({ name: 'OrderNotFoundError', message: 'no such order' });
    expect((error as FunctionError).toPayload()).toEqual(
      expect.objectContaining({ errorType: 'OrderNotFoundError', errorMessage: 'no such order' }),
    );
    expect(((await fn.invoke({})) as ProbeResult).calls).toBe(2);
  });

  it.each([
    [
      'code that cannot be found',
      {},
      'Runtime.ImportModuleError',
      /^Error: Cannot find module 'index'/,
    ],
    [
      'a module without the handler',
      { 'index.js': 'exports.other = () => {};' },
      'Runtime.HandlerNotFound',
      /^index\.handler is undefined or not exported$/,
    ],
    [
      'a module that throws on load',
      { 'index.js': "throw new TypeError('bad configuration');" },
      'TypeError',
      /^bad configuration$/,
    ],
    [
      'a syntax error',
      { 'index.js': 'exports.handler = async () => {' },
      'Runtime.UserCodeSyntaxError',
      /^SyntaxError: /,
    ],
  ])(
    'fails init on %s as Lambda does, and starts afresh next time',
    async (_, files, errorType, message) => {
      const { service: lambda } = service();
      const fn = lambda.createFunction(config({ codeDir: codeDir(files) }));

      const errors = [await failure(fn.invoke({})), await failure(fn.invoke({}))];

      for (const error of errors) {
        expect(error).toMatchObject({ errorType });
        expect((error as Error).message).toMatch(message);
      }
      expect(fn.usage.coldStarts).toBe(2);
      await until(() => fn.environments().length === 0);
    },
  );
});

describe('local Lambda: what the function sees', () => {
  const layer = join(work, 'layer', 'nodejs', 'node_modules');
  mkdirSync(join(layer, 'fixture-lib'), { recursive: true });
  writeFileSync(join(layer, 'fixture-lib', 'index.js'), "exports.from = 'the layer';");
  const usesLayer = `const lib = require('fixture-lib');
exports.handler = async () => ({ from: lib.from });`;

  it('has exactly the environment it is given, and no loader of this process', async () => {
    const { service: lambda } = service();
    const environment = { AWS_REGION: 'eu-west-1', NODE_PATH: layer, TZ: ':UTC' };
    const fn = lambda.createFunction(config({ environment }));

    const seen = (await fn.invoke({ action: 'env' })) as {
      env: Record<string, string>;
      execArgv: string[];
      cwd: string;
    };

    expect(seen.env).toEqual(environment);
    expect(
      seen.execArgv.filter((a) => /^--(require|import|loader|experimental-loader)|^-r$/.test(a)),
    ).toEqual([]);
    expect(seen.cwd).toBe(fn.config.codeDir);
  });

  it('does not inherit the loader of a parent run by tsx, as npm start is', () => {
    // Inside the project, where tsx would resolve @orders/shared to the TypeScript sources.
    const inProject = join(ROOT, '.local', `local-lambda-test-${randomUUID()}`);
    mkdirSync(inProject, { recursive: true });
    writeFileSync(
      join(inProject, 'index.js'),
      "const shared = require('@orders/shared'); exports.handler = async () => 'loaded';",
    );
    const script = join(work, 'tsx-parent.ts');
    writeFileSync(
      script,
      `import { LambdaService } from ${JSON.stringify(join(ROOT, 'local', 'lambda', 'index'))};
const lambda = new LambdaService();
const fn = lambda.createFunction({ functionName: 'Parent', codeDir: ${JSON.stringify(inProject)},
  handler: 'index.handler', environment: { NODE_PATH: ${JSON.stringify(join(work, 'empty'))} },
  timeoutSeconds: 5, memoryMb: 128 });
fn.invoke({}).then((result) => console.log(JSON.stringify({ result })),
  (err) => console.log(JSON.stringify({ errorType: err.errorType }))).finally(() => lambda.stop());`,
    );
    try {
      const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

      const run = spawnSync(process.execPath, [tsx, script], { cwd: ROOT, encoding: 'utf8' });

      expect(JSON.parse(run.stdout)).toEqual({ errorType: 'Runtime.ImportModuleError' });
    } finally {
      rmSync(inProject, { recursive: true, force: true });
    }
  });

  it('resolves packages through NODE_PATH, as Lambda finds a layer in /opt/nodejs/node_modules', async () => {
    const { service: lambda } = service();
    const dir = codeDir({ 'index.js': usesLayer });
    const withLayer = lambda.createFunction(
      config({ functionName: 'WithLayer', codeDir: dir, environment: { NODE_PATH: layer } }),
    );
    const withoutLayer = lambda.createFunction(
      config({ functionName: 'WithoutLayer', codeDir: dir, environment: {} }),
    );

    await expect(withLayer.invoke({})).resolves.toEqual({ from: 'the layer' });
    const error = await failure(withoutLayer.invoke({}));

    expect(error).toMatchObject({ errorType: 'Runtime.ImportModuleError' });
    expect((error as Error).message).toMatch(/^Error: Cannot find module 'fixture-lib'/);
  });

  it("passes Lambda's context object", async () => {
    const { service: lambda } = service();
    const fn = lambda.createFunction(config({ timeoutSeconds: 3, memoryMb: 256 }));

    const context = (await fn.invoke({ action: 'context' })) as Record<string, unknown>;

    expect(context).toEqual(
      expect.objectContaining({
        functionName: 'Probe',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Probe',
        memoryLimitInMB: '256',
        logGroupName: '/aws/lambda/Probe',
        callbackWaitsForEmptyEventLoop: true,
      }),
    );
    expect(context.awsRequestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.remainingMs).toBeGreaterThan(2000);
    expect(context.remainingMs).toBeLessThanOrEqual(3000);
  });

  it('writes console calls as Lambda does in the text log format', async () => {
    const lines: Array<[string, string]> = [];
    const { service: lambda } = service({ onLog: (fn, line) => lines.push([fn, line]) });
    const fn = lambda.createFunction(config());

    await fn.invoke({ action: 'log' });

    await until(() => lines.length >= 3);
    const [debug, info] = lines.map(([, line]) => line.split('\t'));
    expect(lines.every(([fn]) => fn === 'Probe')).toBe(true);
    expect(debug).toEqual([expect.any(String), expect.any(String), 'DEBUG', 'not wanted at INFO']);
    expect(info?.slice(2)).toEqual(['INFO', 'hello from the handler']);
    expect(new Date(info?.[0] ?? '').toISOString()).toBe(info?.[0]);
  });

  it('writes console calls as JSON lines, filtered by level, with the JSON log format', async () => {
    const lines: string[] = [];
    const { service: lambda } = service({ onLog: (_fn, line) => lines.push(line) });
    const fn = lambda.createFunction(
      config({
        environment: { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'INFO' },
      }),
    );

    await fn.invoke({ action: 'log' });

    await until(() => lines.length >= 2);
    const [info, warn] = lines.map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2); // DEBUG is below the level
    expect(info).toEqual({
      timestamp: expect.any(String),
      level: 'INFO',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      message: 'hello from the handler',
    });
    // A single object is the message as it is; an Error in it is written as Lambda writes errors.
    expect(warn).toMatchObject({
      level: 'WARN',
      message: {
        message: 'a field',
        orderId: 'o-1',
        error: { errorType: 'RangeError', errorMessage: 'too far', stackTrace: expect.any(Array) },
      },
    });
  });
});

describe('local Lambda: fault injection', () => {
  it('times the next invocation out, then runs normally', async () => {
    const { service: lambda } = service();
    const fn = lambda.createFunction(config({ timeoutSeconds: 1 }));
    lambda.injectFault('Probe', 'timeout', { count: 1 });

    const error = await failure(fn.invoke({}));

    expect(error).toMatchObject({ errorType: 'Sandbox.Timedout' });
    await expect(fn.invoke({})).resolves.toMatchObject({ calls: 1 });
  });

  it('crashes the environment after the handler did its work, before it answers', async () => {
    const { service: lambda } = service();
    const fn = lambda.createFunction(config());
    const file = join(work, 'crash-marker');
    fn.injectFault('crash', { count: 1 });

    const error = await failure(fn.invoke({ action: 'touch', file }));

    expect(error).toMatchObject({ errorType: 'Runtime.ExitError' });
    expect((error as Error).message).toMatch(/Runtime exited with error: exit status 1$/);
    expect(existsSync(file)).toBe(true);
    await expect(fn.invoke({})).resolves.toMatchObject({ calls: 1 });
    expect(fn.usage.coldStarts).toBe(2);
  });

  it('throttles every invocation for the given seconds', async () => {
    const { service: lambda } = service();
    const fn = lambda.createFunction(config());
    fn.injectFault('throttle', { seconds: 0.5 });

    const errors = [await failure(fn.invoke({})), await failure(fn.invoke({}))];
    await sleep(600);

    expect(errors.map((e) => (e as TooManyRequestsException).reason)).toEqual([
      'ConcurrentInvocationLimitExceeded',
      'ConcurrentInvocationLimitExceeded',
    ]);
    await expect(fn.invoke({})).resolves.toBeDefined();
    expect(fn.usage).toEqual(
      expect.objectContaining({ invocations: 1, throttles: 2, coldStarts: 1 }),
    );
  });

  it('stops a fault when it is cleared', async () => {
    const { service: lambda } = service();
    const fn = lambda.createFunction(config());
    const fault = fn.injectFault('throttle');
    await expect(fn.invoke({})).rejects.toBeInstanceOf(TooManyRequestsException);

    fault.clear();

    await expect(fn.invoke({})).resolves.toBeDefined();
  });
});
