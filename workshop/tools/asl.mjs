// Prints a state machine definition (Amazon States Language) as a list of its states: the type,
// where each goes next, what it retries and what it catches. For module 3 of the workshop:
//   node workshop/tools/asl.mjs statemachine/order-workflow.asl.json
// https://docs.aws.amazon.com/step-functions/latest/dg/concepts-amazon-states-language.html
import { readFileSync } from 'node:fs';

const path = process.argv[2];
if (!path) {
  console.error('Usage: node workshop/tools/asl.mjs <definition.asl.json>');
  process.exit(2);
}
const asl = JSON.parse(readFileSync(path, 'utf8'));
console.log(`StartAt ${asl.StartAt}`);
for (const [name, state] of Object.entries(asl.States)) {
  const out = [`${name.padEnd(22)} ${state.Type.padEnd(7)}`];
  if (state.Type === 'Task') out.push(`calls ${state.Resource.replace('arn:aws:states:::', '')}`);
  if (state.Type === 'Choice') {
    for (const choice of state.Choices) {
      const test = Object.entries(choice).find(([k]) => k !== 'Variable' && k !== 'Next');
      out.push(`if ${choice.Variable} ${test?.[0]} ${JSON.stringify(test?.[1])} -> ${choice.Next}`);
    }
    out.push(`else -> ${state.Default}`);
  }
  if (state.Next) out.push(`-> ${state.Next}`);
  if (state.End || state.Type === 'Succeed') out.push('(ends: success)');
  if (state.Type === 'Fail') out.push(`(ends: failure ${state.Error})`);
  for (const retry of state.Retry ?? []) {
    const errors =
      retry.ErrorEquals.length > 3
        ? `${retry.ErrorEquals.length} errors`
        : retry.ErrorEquals.join(',');
    out.push(`retry ${errors} x${retry.MaxAttempts ?? 3}`);
  }
  for (const c of state.Catch ?? []) out.push(`catch ${c.ErrorEquals.join(',')} -> ${c.Next}`);
  console.log(out.join('  '));
}
