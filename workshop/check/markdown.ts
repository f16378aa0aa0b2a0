import { readFileSync } from 'node:fs';

/**
 * What a fenced block of a module is to the checker, from its info string (see the authors'
 * section of workshop/README.md):
 *
 * - `bash check`: a command the learner types; run in the module's shell, in order.
 * - `text expect`: what that command prints (after a `bash check` block).
 * - `bash terminal-1`: the command that starts the local stack in a second terminal.
 * - `text terminal-1`: what then appears in terminal 1 (the stack's log).
 * - `text ctrl-c`: the learner presses Ctrl-C in terminal 1; the block is what it prints.
 * - `bash verify`: the module's "check your work" command.
 * - `text undone`: what it prints while the exercise is not done (after `bash verify`).
 * - `bash aws`: needs an AWS account; checked without one (syntax, flags, names, paths).
 * - `bash setup`: `npm ci`, done once per clone (CI runs it before the checker).
 * Any other `bash`/`sh` block is an error: every command a module shows is checked.
 */
export type BlockKind =
  | 'check'
  | 'expect'
  | 'terminal-1'
  | 'terminal-1-log'
  | 'ctrl-c'
  | 'verify'
  | 'undone'
  | 'aws'
  | 'setup'
  | 'other';

export interface Block {
  kind: BlockKind;
  /** The block's text, without the fences. */
  text: string;
  /** Line of the opening fence in the module (1-based), for messages. */
  line: number;
  /** `key=value` and bare words of the info string after the kind. */
  options: Record<string, string | true>;
}

const SHELL = new Set(['bash', 'sh', 'shell', 'console']);

/** The fenced blocks of a module, in order, each with what it is to the checker. */
export function parseModule(path: string): Block[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '```', info = ''] = open;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line);
    }
    const [lang = '', kindWord = '', ...rest] = info.trim().split(/\s+/);
    const options: Record<string, string | true> = {};
    for (const word of rest) {
      const eq = word.indexOf('=');
      if (eq > 0) options[word.slice(0, eq)] = word.slice(eq + 1);
      else options[word] = true;
    }
    blocks.push({
      kind: kindOf(lang, kindWord, start + 1, path),
      text: body.join('\n'),
      line: start + 1,
      options,
    });
  }
  return blocks;
}

function kindOf(lang: string, word: string, line: number, path: string): BlockKind {
  if (SHELL.has(lang)) {
    if (['check', 'terminal-1', 'verify', 'aws', 'setup'].includes(word)) return word as BlockKind;
    throw new Error(
      `${path}:${line}: a ${lang} block must say how it is checked: check, terminal-1, verify, aws or setup (\`\`\`${lang} check)`,
    );
  }
  if (lang === 'text') {
    if (word === 'expect' || word === 'undone' || word === 'ctrl-c') return word;
    if (word === 'terminal-1') return 'terminal-1-log';
  }
  return 'other';
}

/**
 * Whether `lines` (expected, in order) appear in `output`: each expected line must be found in
 * the output line where the one before it was found, or a later one (a log line often carries
 * several things worth expecting). An expected line matches an output line that contains it,
 * where `…` stands for any text (a port, an id, a time).
 */
export function matchInOrder(expected: string[], output: string): { missing?: string } {
  const outLines = output.split('\n');
  let at = 0;
  for (const want of expected) {
    const pattern = patternOf(want);
    while (at < outLines.length && !pattern.test(outLines[at] ?? '')) at++;
    if (at >= outLines.length) return { missing: want };
  }
  return {};
}

/** The lines of an expectation block that are patterns (blank lines are for reading only). */
export function expectedLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

function patternOf(want: string): RegExp {
  const escaped = want
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(escaped);
}
