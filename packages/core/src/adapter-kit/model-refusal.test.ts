import { describe, expect, it } from 'vitest';
import { WritError } from '../errors.js';
import { refusalMessage } from './messages.js';
import { modelRefusal } from './model-refusal.js';

describe('modelRefusal', () => {
  it('keeps code and details, takes the refusal text as message and toString, the original as cause', () => {
    const denied = new WritError('WRIT_POLICY_DENIED', 'refund_order was denied by policy (cedar)', {
      details: { decisionId: 'd-1' },
    });
    const refusal = modelRefusal(denied);
    const text =
      'Refused by Writ (WRIT_POLICY_DENIED): refund_order was denied by policy (cedar). The tool was not run.';
    expect(refusal.message).toBe(text);
    expect(refusal.message).toBe(refusalMessage(denied));
    expect(String(refusal)).toBe(text);
    expect(refusal.code).toBe('WRIT_POLICY_DENIED');
    expect(refusal.details).toEqual({ decisionId: 'd-1' });
    expect(refusal.cause).toBe(denied);
    expect(WritError.isInstance(refusal, 'WRIT_POLICY_DENIED')).toBe(true);
    expect(refusal).toBeInstanceOf(WritError);
  });
});
