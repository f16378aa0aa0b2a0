import { stateMachineRunner } from '../../local/stepfunctions/interpreter';

const integrations = {
  invoke: async (_arn: string, payload: unknown) => ({ echoed: payload }),
  publish: async () => ({ MessageId: 'm-1' }),
  updateItem: async () => ({}),
};

/** Two Pass states and a Lambda task: what a run, and a redrive from the task, go through. */
const DEFINITION = {
  StartAt: 'First',
  States: {
    First: { Type: 'Pass', Result: 'first', ResultPath: '$.first', Next: 'Call' },
    Call: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:Echo',
        'Payload.$': '$',
      },
      ResultSelector: { 'echoed.$': '$.Payload.echoed' },
      ResultPath: '$.call',
      Next: 'Last',
    },
    Last: { Type: 'Pass', End: true },
  },
};

describe('local Step Functions: the interpreter', () => {
  it('refuses an invalid definition when the state machine is made, as CreateStateMachine does', () => {
    const invalid = { ...DEFINITION, States: { ...DEFINITION.States, Last: { Type: 'Pass' } } };

    expect(() => stateMachineRunner(invalid as never, integrations)).toThrow(
      /State machine definition is invalid/,
    );
  });

  it('runs executions of one validated definition, from its start or from a state', async () => {
    const machine = stateMachineRunner(DEFINITION, integrations);

    const runs = await Promise.all(Array.from({ length: 20 }, (_, n) => machine.run({ n }).result));
    const redriven = await machine.run({ n: 99 }, { startAt: 'Call' }).result;

    expect(runs[7]).toEqual({ n: 7, first: 'first', call: { echoed: { n: 7, first: 'first' } } });
    expect(redriven).toEqual({ n: 99, call: { echoed: { n: 99 } } });
  });

  it('refuses to start from a state the definition does not have', () => {
    const machine = stateMachineRunner(DEFINITION, integrations);

    expect(() => machine.run({}, { startAt: 'Nowhere' })).toThrow(/no state Nowhere/);
  });
});
