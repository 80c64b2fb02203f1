import { describe, expect, it } from 'vitest';
import { verificationState } from './verification-state.js';

describe('the verification state', () => {
  it('is the strongest the checks prove: failed, then unpinned, unanchored, anchored', () => {
    const passed = { ok: true, keyPinned: true, records: 40 };
    expect(verificationState({ ...passed, ok: false, firstBadIndex: 7 })).toEqual({
      state: 'failed',
      unproven: ['nothing from record 7 on is proven'],
    });
    // an anchor does not make up for a key read from the log
    expect(verificationState({ ...passed, keyPinned: false, anchorSize: 40 }).state).toBe('unpinned');
    expect(verificationState(passed).state).toBe('unanchored');
    expect(verificationState({ ...passed, anchorSize: 40 })).toEqual({ state: 'anchored', unproven: [] });
  });

  it('says what each state cannot rule out', () => {
    const unanchored = verificationState({ ok: true, keyPinned: true, records: 40 }).unproven;
    expect(unanchored).toEqual([
      'truncation at a seal: records after one of its checkpoints could have been cut off, with the published checkpoint deleted or replaced by an older copy',
      'rollback: the whole log could be an older copy of itself',
    ]);
    const unpinned = verificationState({ ok: true, keyPinned: false, records: 40 }).unproven;
    expect(unpinned).toEqual([
      'replacement: a log rewritten and re-signed with another key (its log.json naming that key) passes every check that takes the key from the log',
      ...unanchored,
    ]);
    // an anchor older than the log leaves the records after it open
    expect(verificationState({ ok: true, keyPinned: true, records: 40, anchorSize: 25 }).unproven).toEqual([
      'the 15 record(s) after the 25 the independent checkpoint covers are not anchored: records after a later checkpoint could have been cut off',
    ]);
  });
});
