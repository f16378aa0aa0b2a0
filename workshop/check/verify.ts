import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import validateAsl from 'asl-validator';
import { loadOrCreateKeys, mintToken } from '../../local/cognito/issuer';
import { localDynamoDbClient } from '../../local/dynamodb/endpoint';
import { loadTemplate, ROOT } from '../../local/template';
import { checkAwsBlock } from './aws-commands';

/**
 * "Check your work" for each module: `npm run -s workshop:verify -- <module>`. Prints PASS and
 * exits 0 when the module's exercise is done; otherwise prints FAIL with what is missing and
 * how to get there, and exits 1. Exercises that talk to the local stack find it as `npm run
 * token` does, through .local/stack.json.
 */

class NotYet extends Error {}

const MY_WORK = join(ROOT, 'workshop', 'my-work');

interface StackFile {
  apiUrl: string;
  issuer: string;
  messagingUrl: string;
  dynamodb: { url: string };
  queues: Record<string, string>;
}

function stack(): StackFile {
  const file = join(ROOT, '.local', 'stack.json');
  if (!existsSync(file)) {
    throw new NotYet('No local stack is running: start it in terminal 1 (npm start), then rerun.');
  }
  return JSON.parse(readFileSync(file, 'utf8')) as StackFile;
}

async function tokenFor(sub: string): Promise<string> {
  const keys = await loadOrCreateKeys(join(ROOT, '.local', 'issuer-keys.json'));
  return mintToken(keys, {
    issuer: stack().issuer,
    sub,
    scopes: ['orders/read', 'orders/write'],
    expiresIn: 300,
  });
}

interface PublicOrder {
  orderId: string;
  status: string;
  items: Array<{ sku: string; quantity: number }>;
}

async function ordersOf(sub: string): Promise<PublicOrder[]> {
  const response = await fetch(`${stack().apiUrl}/orders?limit=100`, {
    headers: { authorization: `Bearer ${await tokenFor(sub)}` },
  });
  if (!response.ok) throw new Error(`GET /orders answered ${response.status}`);
  return ((await response.json()) as { orders: PublicOrder[] }).orders;
}

async function stockOf(sku: string): Promise<{ available: number; received: number } | undefined> {
  const client = localDynamoDbClient(stack().dynamodb.url);
  try {
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: 'InventoryTable',
        Key: { pk: { S: `STOCK#${sku}` } },
        ConsistentRead: true,
      }),
    );
    return Item
      ? { available: Number(Item.available?.N ?? 0), received: Number(Item.received?.N ?? 0) }
      : undefined;
  } finally {
    client.destroy();
  }
}

/** Messages in a queue: those a receive would get, and those received but not yet deleted. */
async function messagesIn(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: stack().messagingUrl,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  } finally {
    sqs.destroy();
  }
}

/** Runs a learner's script from workshop/my-work, as `bash <script>` from the project root. */
function runMyWork(name: string, hint: string, args: string[] = []) {
  const path = join(MY_WORK, name);
  if (!existsSync(path)) throw new NotYet(`workshop/my-work/${name} does not exist yet. ${hint}`);
  const run = spawnSync('bash', [path, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000) {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    value = await read();
  }
  return value;
}

const CHECKS: Record<string, () => Promise<string>> = {
  // Module 1: an order that cannot ship yet.
  async '01'() {
    const orders = await ordersOf('alice');
    const gizmo = orders.filter((o) => o.items.some((i) => i.sku === 'GIZMO-9'));
    if (gizmo.length === 0) {
      throw new NotYet(
        'alice has no order for GIZMO-9 yet: place one (the exercise of module 1), wait a second, then run this again.',
      );
    }
    if (!gizmo.some((o) => o.status === 'BACKORDERED')) {
      throw new NotYet(
        `alice's GIZMO-9 orders are ${gizmo.map((o) => o.status).join(', ')}, none BACKORDERED: GIZMO-9 may have been restocked since (module 5 does). Order more GIZMO-9 than is in stock.`,
      );
    }
    return `alice's order for GIZMO-9 is BACKORDERED, waiting for stock.`;
  },

  // Module 2: another customer's order is a 404, not a 403.
  async '02'() {
    const run = runMyWork(
      '02-read-as-bob.sh',
      'Write it (the exercise of module 2): bob asks for one of alice’s orders, printing the status code and the body.',
    );
    if (!/\b404\b/.test(run.output) || !/not found/i.test(run.output)) {
      throw new NotYet(
        `02-read-as-bob.sh printed:\n${run.output.trim()}\nExpected the status code 404 and the body {"message":"Order ... not found"}. Are you asking for one of alice's order ids, with a token for bob (--sub bob)?`,
      );
    }
    return 'bob gets 404 for alice’s order: the same answer as for an order that does not exist.';
  },

  // Module 3: a fraud check state, its function and its test.
  async '03'() {
    const asl = JSON.parse(
      readFileSync(join(ROOT, 'statemachine', 'order-workflow.asl.json'), 'utf8'),
    ) as { StartAt: string; States: Record<string, Record<string, unknown>> };
    const check = asl.States.CheckFraud;
    if (!check) {
      throw new NotYet(
        'statemachine/order-workflow.asl.json has no CheckFraud state yet (step 1 of the exercise).',
      );
    }
    if (asl.StartAt !== 'CheckFraud') {
      throw new NotYet(`StartAt is ${asl.StartAt}: make CheckFraud the first state.`);
    }
    const choice = asl.States[String(check.Next)];
    if (choice?.Type !== 'Choice') {
      throw new NotYet('CheckFraud should go on (Next) to a Choice state that reads its result.');
    }
    const { isValid, errors } = validateAsl(asl as never, { checkArn: true, checkPaths: true });
    if (!isValid) {
      throw new NotYet(`The workflow is not valid ASL: ${JSON.stringify(errors, null, 2)}`);
    }
    const template = loadTemplate();
    if (!template.Resources.CheckFraudFunction) {
      throw new NotYet('template.yaml has no CheckFraudFunction yet (step 2 of the exercise).');
    }
    const substitutions =
      template.Resources.OrderWorkflow?.Properties?.DefinitionSubstitutions ?? {};
    if (!substitutions.CheckFraudFunctionArn) {
      throw new NotYet(
        'OrderWorkflow has no CheckFraudFunctionArn in its DefinitionSubstitutions (step 2).',
      );
    }
    const test = join(ROOT, 'tests', 'integration', 'fraud-check.test.ts');
    if (!existsSync(test)) {
      throw new NotYet('tests/integration/fraud-check.test.ts does not exist yet (step 4).');
    }
    const jest = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
        'tests/integration/fraud-check.test.ts',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, TEST_CONTAINERS: 'off' },
        timeout: 300_000,
      },
    );
    if (jest.status !== 0) {
      throw new NotYet(`tests/integration/fraud-check.test.ts fails:\n${jest.stderr.slice(-3000)}`);
    }
    return 'CheckFraud runs first, holds large orders, and tests/integration/fraud-check.test.ts passes.';
  },

  // Module 4: a race for the last units, and no overselling.
  async '04'() {
    const run = runMyWork(
      '04-race.sh',
      'Write it (the exercise of module 4): 20 orders at once for a new SKU with 7 units.',
    );
    const sku = /^SKU (\S+)/m.exec(run.output)?.[1];
    const shipped = Number(/^SHIPPED (\d+)/m.exec(run.output)?.[1]);
    const backordered = Number(/^BACKORDERED (\d+)/m.exec(run.output)?.[1]);
    if (!sku || shipped !== 7 || backordered !== 13) {
      throw new NotYet(
        `04-race.sh printed:\n${run.output.trim()}\nExpected lines "SKU <the new sku>", "SHIPPED 7" and "BACKORDERED 13". Wait until every order has ended before counting.`,
      );
    }
    const stock = await stockOf(sku);
    if (stock?.received !== 7 || stock.available !== 0) {
      throw new NotYet(
        `The stock of ${sku} is ${JSON.stringify(stock)}: expected 7 received and 0 available.`,
      );
    }
    return `7 of 20 orders shipped, 13 wait for stock, and ${sku} has 0 available: nothing oversold.`;
  },

  // Module 5: the dead-letter queue redriven.
  async '05'() {
    const dlq = stack().queues.StockArrivalsDeadLetterQueue as string;
    const left = await messagesIn(dlq);
    if (left.visible > 0) {
      throw new NotYet(
        `The dead-letter queue holds ${left.visible} message(s): move them back to the stock arrivals queue (the exercise of module 5).`,
      );
    }
    if (left.inFlight > 0) {
      throw new NotYet(
        `The dead-letter queue holds ${left.inFlight} message(s) received but not deleted: they are hidden for the queue's visibility timeout (30 s), then visible again. Did your script delete each message after sending it?`,
      );
    }
    const stock = await eventually(
      () => stockOf('REDRIVE-1'),
      (s) => (s?.received ?? 0) >= 5,
    );
    if (!stock || stock.received < 5) {
      throw new NotYet(
        `The dead-letter queue is empty but REDRIVE-1 has not received its 5 units (stock ${JSON.stringify(stock ?? null)}): was the message sent back to the stock arrivals queue before it was deleted?`,
      );
    }
    return 'The arrival that failed during the outage is applied, and the dead-letter queue is empty.';
  },

  // Module 6: every order reached an end.
  async '06'() {
    const run = runMyWork(
      '06-every-order-ended.sh',
      "Write it (the exercise of module 6): it lists alice's orders and fails if one has not ended.",
    );
    const expected = (await ordersOf('alice')).length;
    const line = /^ended: (\d+) of (\d+)/m.exec(run.output);
    if (run.status !== 0 || !line || Number(line[2]) !== expected || line[1] !== line[2]) {
      throw new NotYet(
        `06-every-order-ended.sh exited ${run.status} and printed:\n${run.output.trim()}\nExpected exit 0 and "ended: ${expected} of ${expected}" (alice has ${expected} orders; ended = SHIPPED, BACKORDERED or FAILED). If an order has not ended, wait for the reconciler and run it again.`,
      );
    }
    return `${expected} of ${expected} orders ended: nothing is stuck.`;
  },

  // Module 7: the metrics, read from the log.
  async '07'() {
    const log = join(ROOT, '.local', 'stack.log');
    if (!existsSync(log)) {
      throw new NotYet(
        '.local/stack.log does not exist: start terminal 1 as module 7 says (with | tee -i .local/stack.log).',
      );
    }
    const run = runMyWork(
      '07-metrics.sh',
      'Write it (the exercise of module 7): the names of the metrics in the log, one per line.',
      [log],
    );
    const want = new Set<string>();
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      const json = line.slice(line.indexOf('{'));
      if (!json.includes('"CloudWatchMetrics"')) continue;
      const emf = JSON.parse(json) as {
        _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> };
      };
      for (const d of emf._aws.CloudWatchMetrics) for (const m of d.Metrics) want.add(m.Name);
    }
    const got = new Set(
      run.output
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    const expected = [...want].sort().join(', ');
    if ([...want].some((m) => !got.has(m)) || [...got].some((m) => !want.has(m))) {
      throw new NotYet(
        `07-metrics.sh printed: ${[...got].sort().join(', ') || '(nothing)'}\nThe log holds these metrics: ${expected}`,
      );
    }
    return `The log carries ${want.size} metrics: ${expected}.`;
  },

  // Module 8: a second deployment, with Express workflows.
  async '08'() {
    const path = join(MY_WORK, '08-deploy-express.sh');
    if (!existsSync(path)) {
      throw new NotYet(
        'workshop/my-work/08-deploy-express.sh does not exist yet: write the sam deploy command of the exercise of module 8.',
      );
    }
    const script = readFileSync(path, 'utf8');
    const problems = checkAwsBlock(script, ROOT);
    if (!/sam deploy/.test(script)) problems.push('it has no sam deploy command');
    if (!/WorkflowType=EXPRESS/.test(script)) problems.push('it does not set WorkflowType=EXPRESS');
    if (!/--stack-name[ =]\S*express/i.test(script)) {
      problems.push('it does not deploy a stack of its own (--stack-name ...express...)');
    }
    if (problems.length > 0) throw new NotYet(problems.join('\n'));
    return 'The command deploys a second stack with Express workflows (checked offline: syntax, flags, parameter names).';
  },

  // Module 9: a second alarm on the canary.
  async '09'() {
    const template = loadTemplate();
    const fn = template.Resources.CreateOrderFunction?.Properties ?? {};
    const alarms: Array<{ Ref?: string }> = fn.DeploymentPreference?.Alarms ?? [];
    if (alarms.length < 2) {
      throw new NotYet(
        'CreateOrderFunction.DeploymentPreference.Alarms lists one alarm: add a second one (the exercise of module 9).',
      );
    }
    for (const alarm of alarms) {
      const id = alarm.Ref ?? '';
      const resource = template.Resources[id];
      if (resource?.Type !== 'AWS::CloudWatch::Alarm') {
        throw new NotYet(
          `The deployment's alarm ${id} is not an AWS::CloudWatch::Alarm of the template.`,
        );
      }
      const dimensions = JSON.stringify(resource.Properties?.Dimensions ?? []);
      if (!dimensions.includes(':live')) {
        throw new NotYet(
          `${id} does not watch the live alias (a Resource dimension of \${CreateOrderFunction}:live): it would not see the new version's traffic.`,
        );
      }
    }
    const onNewVersion = alarms.some((a) =>
      JSON.stringify(template.Resources[a.Ref ?? '']?.Properties?.Dimensions ?? []).includes(
        'ExecutedVersion',
      ),
    );
    if (!onNewVersion) {
      throw new NotYet(
        'No alarm of the deployment has an ExecutedVersion dimension (!GetAtt CreateOrderFunction.Version.Version): none watches the new version alone.',
      );
    }
    return `The canary rolls back on any of ${alarms.length} alarms, one of them on the new version alone.`;
  },

  // Module 10: a month of orders, priced.
  async '10'() {
    const run = runMyWork(
      '10-cost.sh',
      'Write it (the exercise of module 10): the monthly cost of 300,000 in-stock orders.',
    );
    const results = readFileSync(join(ROOT, 'bench', 'results', 'latest.md'), 'utf8');
    const inStock = (label: string) => {
      const row = results.split('\n').find((l) => l.includes(`total with ${label}`));
      const value = row?.split('|')[2]?.replace(/[^0-9.]/g, '');
      if (!value) throw new Error(`bench/results/latest.md has no "total with ${label}" row`);
      return (Number(value) * 300_000) / 1e6;
    };
    const want = { Standard: inStock('Standard'), Express: inStock('Express') };
    for (const [label, value] of Object.entries(want)) {
      const got = Number(new RegExp(`^${label} \\$?([0-9.]+)`, 'm').exec(run.output)?.[1]);
      if (!(Math.abs(got - value) <= Math.max(0.01, value * 0.01))) {
        throw new NotYet(
          `10-cost.sh printed:\n${run.output.trim()}\nExpected a line "${label} <dollars>" close to ${value.toFixed(2)} (the in-stock column of "total with ${label}", per million orders, times 0.3).`,
        );
      }
    }
    return `300,000 orders a month: $${want.Standard.toFixed(2)} with Standard, $${want.Express.toFixed(2)} with Express.`;
  },

  // Module 11: what sam delete leaves behind.
  async '11'() {
    const run = runMyWork(
      '11-retained.sh',
      'Write it (the exercise of module 11): the resources of template.yaml that sam delete keeps.',
    );
    const template = loadTemplate();
    const want = Object.entries(template.Resources)
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .map(([id]) => id)
      .sort();
    const got = run.output
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .sort();
    if (want.join() !== got.join()) {
      throw new NotYet(
        `11-retained.sh printed: ${got.join(', ') || '(nothing)'}\nThe template keeps (DeletionPolicy: Retain): ${want.join(', ')}`,
      );
    }
    return `sam delete keeps ${want.join(', ')}: delete them yourself when you mean to.`;
  },
};

async function main() {
  const module = (process.argv[2] ?? '').padStart(2, '0');
  const check = CHECKS[module];
  if (!check) {
    console.error(
      `Usage: npm run -s workshop:verify -- <module>, a module from 1 to ${Object.keys(CHECKS).length}`,
    );
    process.exit(2);
  }
  try {
    console.log(`PASS: ${await check()}`);
  } catch (err: unknown) {
    if (!(err instanceof NotYet)) throw err;
    console.log(`FAIL: ${err.message}`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(`FAIL: the check itself failed: ${(err as Error).stack}`);
  process.exit(1);
});
