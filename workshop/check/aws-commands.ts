import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTemplate } from '../../local/template';

/**
 * The flags of the SAM CLI and AWS CLI commands the modules use, each command with the page of
 * its reference that lists them (workshop/check/aws-cli.json). A `bash aws` block cannot run
 * here (it needs an AWS account, or Docker for `sam local`), so it is checked for what can be:
 * its shell syntax, each `sam`/`aws` command and flag against that list, the stack outputs and
 * template parameters it names, and the project files it reads.
 */
interface KnownCommands {
  global: { flags: string[]; docs: string };
  commands: Record<string, { flags: string[]; docs: string }>;
}

const KNOWN = JSON.parse(readFileSync(join(__dirname, 'aws-cli.json'), 'utf8')) as KnownCommands & {
  $comment?: string;
};

/** Splits a shell line into words, keeping quoted strings whole (quotes removed). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** The simple commands of a script: continuation lines joined, split at pipes and separators. */
function commands(script: string): string[][] {
  const joined = script.replace(/\\\n/g, ' ');
  const list: string[][] = [];
  for (const rawLine of joined.split('\n')) {
    const line = rawLine.replace(/(^|\s)#.*$/, '');
    for (const part of line.split(/\|\||&&|[|;]|\$\(|`|\)/)) {
      const w = words(part.trim());
      if (w.length > 0) list.push(w);
    }
  }
  return list;
}

/** Problems with one `bash aws` block; an empty list when it passes. */
export function checkAwsBlock(script: string, root: string): string[] {
  const problems: string[] = [];
  const syntax = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  if (syntax.status !== 0) problems.push(`bash -n: ${syntax.stderr.trim()}`);

  const template = loadTemplate(join(root, 'template.yaml'));
  const outputs = new Set(Object.keys(template.Outputs ?? {}));
  const parameters = new Set(Object.keys(template.Parameters ?? {}));
  const resources = new Set(Object.keys(template.Resources ?? {}));

  for (const cmd of commands(script)) {
    // Skip assignments and wrappers in front of the command (VAR=x sam ..., time sam ...).
    while (cmd.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(cmd[0] ?? '')) cmd.shift();
    const tool = cmd[0];
    if (tool !== 'sam' && tool !== 'aws') continue;
    const positional = cmd.filter((w) => !w.startsWith('-'));
    const known = Object.keys(KNOWN.commands)
      .filter((name) => positional.join(' ').startsWith(name))
      .sort((a, b) => b.length - a.length)[0];
    if (!known) {
      problems.push(`"${cmd.slice(0, 3).join(' ')}" is not in workshop/check/aws-cli.json`);
      continue;
    }
    const allowed = new Set([
      ...(KNOWN.commands[known]?.flags ?? []),
      ...(tool === 'aws' ? KNOWN.global.flags : []),
    ]);
    cmd.forEach((word, i) => {
      if (!word.startsWith('--')) return;
      const flag = word.split('=')[0] as string;
      if (!allowed.has(flag)) {
        problems.push(`${known}: ${flag} is not a known flag (${KNOWN.commands[known]?.docs})`);
      }
      if (flag === '--parameter-overrides') {
        for (const pair of cmd.slice(i + 1)) {
          if (pair.startsWith('--')) break;
          const name = pair.split('=')[0] as string;
          if (!parameters.has(name)) problems.push(`template.yaml has no parameter ${name}`);
        }
      }
    });
    // Resource logical ids given to sam local (sam local invoke GetOrderFunction).
    if (known === 'sam local invoke' || known === 'sam logs' || known === 'sam remote invoke') {
      const id = positional[known.split(' ').length];
      if (id && !id.startsWith('$') && !resources.has(id)) {
        problems.push(`template.yaml has no resource ${id}`);
      }
    }
  }

  // Stack outputs read by name: OutputKey=='ApiUrl' or the modules' `out ApiUrl` helper.
  for (const m of script.matchAll(/OutputKey==\\?'(\w+)\\?'|\$\(out (\w+)\)/g)) {
    const name = m[1] ?? m[2];
    if (name && name !== '$1' && !outputs.has(name)) {
      problems.push(`template.yaml has no output ${name}`);
    }
  }
  // Files of the project the commands read.
  for (const m of script.matchAll(
    /(?:^|[\s=@'"])((?:events|statemachine|src|workshop|bench|local)\/[\w./-]+|template\.yaml|samconfig\.toml)/g,
  )) {
    const path = m[1] as string;
    if (!existsSync(join(root, path))) problems.push(`${path} does not exist`);
  }
  return problems;
}

/** The documentation page that lists a command's flags, for messages and the README. */
export function docsOf(command: string): string | undefined {
  return KNOWN.commands[command]?.docs;
}
