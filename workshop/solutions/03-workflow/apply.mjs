// Applies the solution of module 3's exercise to the project it is in: the CheckFraud states in
// the workflow, CheckFraudFunction in the template (with its substitution and invoke policy),
// the function's code and its test. Each edit is made next to a line that must be there once;
// if one is missing (the files changed since this was written), it says which and stops.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

function indent(yaml) {
  return yaml
    .trimEnd()
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n')
    .concat('\n');
}

function edit(file, anchor, replacement) {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  if (text.split(anchor).length !== 2) {
    throw new Error(`${file}: expected exactly one\n${anchor}\nto edit next to; fix the solution`);
  }
  writeFileSync(path, text.replace(anchor, replacement));
}

// states.json holds the three new states as one object: its members, indented to the level of
// the workflow's States, go first in States.
const states = readFileSync(join(here, 'states.json'), 'utf8')
  .trim()
  .split('\n')
  .slice(1, -1)
  .map((line) => `  ${line}`)
  .join('\n');
edit(
  'statemachine/order-workflow.asl.json',
  '  "StartAt": "ProcessOrder",\n  "States": {\n',
  `  "StartAt": "CheckFraud",\n  "States": {\n${states},\n`,
);

// template-function.yaml is the resource as a YAML document of its own: indented, it goes last
// in Resources.
const fn = indent(readFileSync(join(here, 'template-function.yaml'), 'utf8'));
edit('template.yaml', '\nOutputs:\n', `\n${fn}\nOutputs:\n`);
edit(
  'template.yaml',
  '        ProcessOrderFunctionArn: !GetAtt ProcessOrderFunction.Arn\n',
  '        ProcessOrderFunctionArn: !GetAtt ProcessOrderFunction.Arn\n        CheckFraudFunctionArn: !GetAtt CheckFraudFunction.Arn\n',
);
edit(
  'template.yaml',
  '        - LambdaInvokePolicy:\n            FunctionName: !Ref ProcessOrderFunction\n',
  '        - LambdaInvokePolicy:\n            FunctionName: !Ref ProcessOrderFunction\n        - LambdaInvokePolicy:\n            FunctionName: !Ref CheckFraudFunction\n',
);

mkdirSync(join(root, 'src', 'functions', 'check-fraud'), { recursive: true });
copyFileSync(
  join(here, 'check-fraud.ts'),
  join(root, 'src', 'functions', 'check-fraud', 'index.ts'),
);
copyFileSync(
  join(here, 'fraud-check.test.ts'),
  join(root, 'tests', 'integration', 'fraud-check.test.ts'),
);
console.log('Module 3 solution applied: workflow, template, function, test.');
