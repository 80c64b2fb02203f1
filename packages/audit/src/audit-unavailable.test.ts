import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { auditUnavailable } from './audit-unavailable.js';

describe('auditUnavailable', () => {
  it('turns any failure into WRIT_AUDIT_UNAVAILABLE, naming the cause and keeping it', () => {
    const cause = new Error('ENOSPC: no space left on device');
    const error = auditUnavailable('the log could not be written', cause, { logId: 'a' });
    expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect(error.message).toBe('the log could not be written: ENOSPC: no space left on device');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ logId: 'a' });
    expect(auditUnavailable('sync failed', 'EIO').message).toBe('sync failed: EIO');
  });

  it('keeps a cause that already is WRIT_AUDIT_UNAVAILABLE, and wraps a WritError of another code', () => {
    const already = new WritError('WRIT_AUDIT_UNAVAILABLE', 'the audit log is closed');
    expect(auditUnavailable('a checkpoint failed', already)).toBe(already);
    const other = new WritError('WRIT_OPTIONS_INVALID', 'bad');
    const wrapped = auditUnavailable('a checkpoint failed', other);
    expect(wrapped.code).toBe('WRIT_AUDIT_UNAVAILABLE');
    expect(wrapped.cause).toBe(other);
  });
});
