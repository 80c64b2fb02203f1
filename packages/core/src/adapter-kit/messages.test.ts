import { describe, expect, it } from 'vitest';
import { WritError } from '../errors.js';
import { alreadyExecuted } from '../stores/call-ledger.js';
import { defineTool } from '../tool-definition.js';
import { approvalMessage, refusalMessage } from './messages.js';

describe('what the model and the approver are told', () => {
  it('a refusal names its code and message and says the tool did not run', () => {
    expect(
      refusalMessage(new WritError('WRIT_POLICY_DENIED', 'delete_customer was denied by policy (cedar)')),
    ).toBe(
      'Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar). The tool was not run.',
    );
    expect(refusalMessage(new Error('anything else'))).toBe(
      'Refused by Writ (WRIT_INTERNAL): anything else. The tool was not run.',
    );
  });

  it('a call that already ran elsewhere is not called refused: it ran once, with its digest, and not again', () => {
    const error = new WritError('WRIT_ALREADY_EXECUTED', 'tool call c1 already ran in another process', {
      details: { callId: 'c1', resultDigest: 'sha256:ab' },
    });
    expect(refusalMessage(error)).toBe(
      'Writ (WRIT_ALREADY_EXECUTED): tool call c1 already ran in another process (sha256:ab). It was not run again.',
    );
  });

  it('a call that already ran (once, elsewhere or earlier) is not said to be "not run": it was not run again', () => {
    const settled = alreadyExecuted('call_1', 'sha256:ab');
    const error = settled.ok ? undefined : settled.error;
    expect(refusalMessage(error)).toBe(
      'Writ (WRIT_ALREADY_EXECUTED): tool call call_1 already ran once; its result is not shared (the shared call ledger keeps only its digest) (sha256:ab). It was not run again.',
    );
  });

  it('an approval request names the tool, the engine and the reasons', () => {
    const def = defineTool({ name: 'refund_order' }, 'test');
    expect(
      approvalMessage(def, {
        effect: 'approval_required',
        policyIds: [],
        reasons: ['over 100 EUR'],
        decisionId: 'd',
        engine: 'cedar',
        evaluatedContext: {} as never,
      }),
    ).toBe('refund_order needs human approval (cedar): over 100 EUR');
  });
});
