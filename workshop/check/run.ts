import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../../local/template';
import { checkAwsBlock } from './aws-commands';
import { type Block, expectedLines, matchInOrder, parseModule } from './markdown';
import { scratchCopy } from './scratch';
import { learnerEnv, Shell, StackProcess } from './shell';

const USAGE = `Runs every checked block of the workshop's modules: npm run workshop:check [-- options] [modules]

  modules       module numbers to run (e.g. 3 or 03 5); default every module, in order
  --slow        also run the blocks marked slow (npm run bench: about 7 minutes)
  --keep        keep the scratch copy the modules ran in, and print where it is
  --help        this text

Each module runs in a scratch copy of the project, in one bash per module (variables carry from
block to block as in a terminal). Terminal 1 (\`npm start ...\`) is started with --any-ports and
kept for the next module when that module starts it with the same command. See the authors'
section of workshop/README.md for the block markers.`;

const WORKSHOP = join(ROOT, 'workshop');

interface Outcome {
  module: string;
  line: number;
  what: string;
  ok: boolean;
  detail?: string;
}

async function main() {
  const { values, positionals } = parseArgs({
    options: {
      slow: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) return console.log(USAGE);
  const all = readdirSync(WORKSHOP)
    .filter((f) => /^\d\d-.+\.md$/.test(f))
    .sort();
  const wanted = positionals.map((p) => p.padStart(2, '0'));
  const unknown = wanted.filter((w) => !all.some((f) => f.startsWith(`${w}-`)));
  if (unknown.length > 0) {
    console.error(`No module ${unknown.join(', ')}: the modules are ${all.join(', ')}`);
    process.exit(2);
  }
  const modules = wanted.length > 0 ? all.filter((f) => wanted.includes(f.slice(0, 2))) : all;

  const started = Date.now();
  const outcomes: Outcome[] = [];
  const timings: Array<[string, number]> = [];

  typecheckWorkshop(outcomes);

  const scratch = scratchCopy(ROOT);
  const env = learnerEnv(scratch.dir);
  let stack: StackProcess | undefined;
  // Stopped or interrupted: terminal 1 and the scratch copy go too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void (stack?.stop() ?? Promise.resolve()).finally(() => {
        if (!values.keep) scratch.remove();
        process.exit(130);
      });
    });
  }
  try {
    for (const file of modules) {
      const moduleStarted = Date.now();
      const name = basename(file, '.md');
      console.log(`\n■ ${name}`);
      stack = await runModule(join(WORKSHOP, file), name, scratch.dir, env, stack, {
        slow: values.slow,
        started: (s) => {
          stack = s;
        },
        record: (o) => {
          outcomes.push(o);
          const mark = o.ok ? '✓' : '✗';
          console.log(`  ${mark} line ${o.line}: ${o.what}${o.ok ? '' : `\n${indent(o.detail)}`}`);
        },
      });
      timings.push([name, Date.now() - moduleStarted]);
    }
    typecheckSolutions(scratch.dir, outcomes);
  } finally {
    await stack?.stop();
    if (values.keep) console.log(`\nScratch copy kept in ${scratch.dir}`);
    else scratch.remove();
  }

  console.log('\nTime per module:');
  for (const [name, ms] of timings) console.log(`  ${name.padEnd(28)} ${(ms / 1000).toFixed(1)} s`);
  console.log(`  ${'total'.padEnd(28)} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const failed = outcomes.filter((o) => !o.ok);
  for (const o of failed) console.log(`FAILED ${o.module}.md line ${o.line}: ${o.what}`);
  console.log(`workshop: ${outcomes.length - failed.length} passed, ${failed.length} failed`);
  process.exit(failed.length > 0 ? 1 : 0);
}

interface ModuleOptions {
  slow: boolean;
  record(outcome: Outcome): void;
  /** Told of each terminal 1 started, so that an interrupted run can stop it. */
  started(stack: StackProcess): void;
}

async function runModule(
  path: string,
  name: string,
  dir: string,
  env: NodeJS.ProcessEnv,
  running: StackProcess | undefined,
  options: ModuleOptions,
): Promise<StackProcess | undefined> {
  let stack = running;
  const blocks = parseModule(path);
  const shell = new Shell(dir, env);
  const record = (block: Block, what: string, ok: boolean, detail?: string) =>
    options.record({ module: name, line: block.line, what, ok, detail });
  const next = (i: number, kind: Block['kind']) =>
    blocks[i + 1]?.kind === kind ? blocks[i + 1] : undefined;
  let logFrom = 0;

  try {
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i] as Block;
      const timeoutMs = Number(block.options.timeout ?? 60) * 1000;
      switch (block.kind) {
        case 'setup': {
          // npm ci: CI runs it before the checker, and the scratch copy links its node_modules.
          const ok = existsSync(join(dir, 'node_modules', '.package-lock.json'));
          record(block, 'npm ci done (node_modules installed from package-lock.json)', ok);
          break;
        }
        case 'terminal-1': {
          const command = block.text.trim();
          if (stack && stack.command === command) {
            record(block, `terminal 1 already runs: ${command}`, true);
            logFrom = stack.output.length;
            break;
          }
          await stack?.stop();
          stack = new StackProcess(command, dir, env);
          options.started(stack);
          logFrom = 0;
          try {
            await stack.ready();
            record(block, `terminal 1: ${command}`, true);
          } catch (err: unknown) {
            record(block, `terminal 1: ${command}`, false, (err as Error).message);
            return stack;
          }
          break;
        }
        case 'terminal-1-log': {
          const ok = await waitForLog(
            stack,
            block,
            logFrom,
            Number(block.options.timeout ?? 30) * 1000,
          );
          record(block, 'terminal 1 shows the lines of the block', ok.ok, ok.detail);
          break;
        }
        case 'ctrl-c': {
          const from = stack?.output.length ?? 0;
          const code = await stack?.stop();
          const missing = stack
            ? matchInOrder(expectedLines(block.text), stack.output.slice(from)).missing
            : 'no terminal 1 running';
          record(
            block,
            'Ctrl-C in terminal 1 stops the stack',
            code === 0 && !missing,
            `exit ${code}; missing: ${missing}\n${stack?.output.slice(from)}`,
          );
          stack = undefined;
          break;
        }
        case 'check': {
          logFrom = stack?.output.length ?? 0;
          if (block.options.slow && !options.slow) {
            const syntax = spawnSync('bash', ['-n'], { input: block.text, encoding: 'utf8' });
            record(
              block,
              `(slow, syntax only; --slow runs it) ${firstLine(block.text)}`,
              syntax.status === 0,
              syntax.stderr,
            );
            break;
          }
          const run = await shell.run(block.text, timeoutMs);
          const expect = next(i, 'expect');
          const wantStatus = Number(block.options.exit ?? 0);
          const missing = expect
            ? matchInOrder(expectedLines(expect.text), run.output).missing
            : undefined;
          const ok = !run.timedOut && run.status === wantStatus && !missing;
          record(
            block,
            `${firstLine(block.text)} (${(run.ms / 1000).toFixed(1)} s)`,
            ok,
            `${run.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit ${run.status}, expected ${wantStatus}`}${missing ? `; expected a line matching: ${missing}` : ''}\n--- output ---\n${tail(run.output)}`,
          );
          if (expect) i++;
          break;
        }
        case 'verify': {
          await checkVerify(shell, block, next(i, 'undone'), name, dir, timeoutMs, record);
          if (next(i, 'undone')) i++;
          break;
        }
        case 'aws': {
          const problems = checkAwsBlock(block.text, dir);
          record(
            block,
            `(needs AWS: checked offline) ${firstLine(block.text)}`,
            problems.length === 0,
            problems.join('\n'),
          );
          break;
        }
        case 'expect':
        case 'undone':
          record(block, `a ${block.kind} block must follow the block it describes`, false);
          break;
        case 'other':
          break;
      }
    }
  } finally {
    shell.close();
  }
  return stack;
}

/**
 * "Check your work": with the exercise undone it must fail and say what to do (the `undone`
 * block); with the module's solution applied (workshop/solutions/<module>/apply.sh, in the
 * scratch copy) it must pass.
 */
async function checkVerify(
  shell: Shell,
  block: Block,
  undone: Block | undefined,
  name: string,
  dir: string,
  timeoutMs: number,
  record: (block: Block, what: string, ok: boolean, detail?: string) => void,
) {
  const before = await shell.run(block.text, timeoutMs);
  const missing = undone ? matchInOrder(expectedLines(undone.text), before.output).missing : '';
  record(
    block,
    'check your work fails while the exercise is undone, and says why',
    !before.timedOut && before.status !== 0 && !missing && undone !== undefined,
    `${undone ? '' : 'no `text undone` block after it; '}exit ${before.status}${missing ? `; expected a line matching: ${missing}` : ''}\n--- output ---\n${tail(before.output)}`,
  );
  const apply = `workshop/solutions/${name}/apply.sh`;
  if (!existsSync(join(dir, apply))) {
    record(block, `the solution ${apply} exists`, false);
    return;
  }
  const applied = await shell.run(`bash ${apply}`, timeoutMs);
  record(block, `the solution applies: bash ${apply}`, applied.status === 0, tail(applied.output));
  const after = await shell.run(block.text, timeoutMs);
  record(
    block,
    'check your work passes with the solution',
    after.status === 0 && /PASS/.test(after.output),
    `exit ${after.status}\n--- output ---\n${tail(after.output)}`,
  );
}

async function waitForLog(
  stack: StackProcess | undefined,
  block: Block,
  from: number,
  timeoutMs: number,
): Promise<{ ok: boolean; detail?: string }> {
  if (!stack) return { ok: false, detail: 'no terminal 1 running (a `bash terminal-1` block)' };
  const deadline = Date.now() + timeoutMs;
  let missing: string | undefined;
  do {
    missing = matchInOrder(expectedLines(block.text), stack.output.slice(from)).missing;
    if (!missing) return { ok: true };
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() < deadline);
  return {
    ok: false,
    detail: `no line matching: ${missing}\n--- terminal 1 since the command ---\n${tail(stack.output.slice(from))}`,
  };
}

/** Type-checks the checker and the workshop's scripts (the project's tsconfig covers neither). */
function typecheckWorkshop(outcomes: Outcome[]) {
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(WORKSHOP, 'tsconfig.json')],
    { encoding: 'utf8' },
  );
  const ok = tsc.status === 0;
  console.log(`${ok ? '✓' : '✗'} workshop/tsconfig.json type-checks`);
  if (!ok) console.log(indent(tsc.stdout + tsc.stderr));
  outcomes.push({ module: 'workshop', line: 0, what: 'type-check', ok });
}

/**
 * The project type-checks with the solutions applied (module 3 adds a function and a test): the
 * solutions are held to the project's own checks, as a learner's work would be by `npm test`.
 */
function typecheckSolutions(dir: string, outcomes: Outcome[]) {
  const tsc = spawnSync(
    process.execPath,
    [
      join(dir, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--noEmit',
      '-p',
      join(dir, 'tsconfig.json'),
    ],
    { encoding: 'utf8' },
  );
  const ok = tsc.status === 0;
  console.log(`\n${ok ? '✓' : '✗'} the project type-checks with the solutions applied`);
  if (!ok) console.log(indent(tsc.stdout + tsc.stderr));
  outcomes.push({ module: 'solutions', line: 0, what: 'type-check', ok });
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
  return line.length > 90 ? `${line.slice(0, 87)}...` : line;
}

function tail(text: string, lines = 25): string {
  return text.split('\n').slice(-lines).join('\n');
}

function indent(text = ''): string {
  return text
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
