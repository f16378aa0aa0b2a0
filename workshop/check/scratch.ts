import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';

/** What a fresh clone would not have, or what the copy shares with the working tree instead. */
const LEFT_OUT = new Set(['.git', 'node_modules', '.local', '.bench', '.aws-sam', 'coverage']);

/**
 * A copy of the project in a temporary directory, as a learner's fresh clone after `npm ci`: the
 * working tree's files without its state (.local, .bench) or history, and node_modules linked
 * rather than copied. The checker runs every module there, so that the commands run from the
 * project root as a learner types them, the stack writes its state to the copy's .local, and a
 * solution is applied to the copy, never to the working tree.
 */
export function scratchCopy(root: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'orders-workshop-'));
  cpSync(root, dir, {
    recursive: true,
    filter: (src) => {
      const rel = relative(root, src);
      if (rel === '') return true;
      const parts = rel.split(sep);
      // A learner's scripts are not in a fresh clone (workshop/my-work/.gitignore).
      if (parts[0] === 'workshop' && parts[1] === 'my-work' && parts.length > 2) {
        return parts[2] === 'README.md' || parts[2] === '.gitignore';
      }
      return !LEFT_OUT.has(parts[0] as string);
    },
  });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
