// Applies the solution of module 9's exercise to the project it is in: the new version's alarm,
// and the deployment preference that watches it. Each edit is made next to a line that must be
// there once; if one is missing (the template changed since), it says which and stops.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const path = join(here, '..', '..', '..', 'template.yaml');
let text = readFileSync(path, 'utf8');

function edit(anchor, replacement) {
  if (text.split(anchor).length !== 2) {
    throw new Error(
      `template.yaml: expected exactly one\n${anchor}\nto edit next to; fix the solution`,
    );
  }
  text = text.replace(anchor, replacement);
}

edit(
  '        Alarms:\n          - !Ref CreateOrderErrorsAlarm\n',
  '        Alarms:\n          - !Ref CreateOrderErrorsAlarm\n          - !Ref CreateOrderNewVersionErrorsAlarm\n',
);
// alarm.yaml is the resource as a YAML document of its own: indented, it goes last in Resources.
const alarm = readFileSync(join(here, 'alarm.yaml'), 'utf8')
  .trimEnd()
  .split('\n')
  .map((line) => (line ? `  ${line}` : line))
  .join('\n');
edit('\nOutputs:\n', `\n${alarm}\n\nOutputs:\n`);
writeFileSync(path, text);
console.log('Module 9 solution applied: CreateOrderNewVersionErrorsAlarm, watched by the canary.');
