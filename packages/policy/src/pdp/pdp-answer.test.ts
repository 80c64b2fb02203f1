import { describe, expect, it } from 'vitest';
import { clip, isJsonObject } from './pdp-answer.js';

describe('reading untrusted PDP answers', () => {
  it('isJsonObject: objects only, not null or arrays', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject({ decision: true })).toBe(true);
    for (const value of [null, undefined, [], [{}], 'x', 1, true]) expect(isJsonObject(value)).toBe(false);
  });

  it('clip: keeps short texts, cuts long ones to max characters ending with an ellipsis', () => {
    expect(clip('short', 10)).toBe('short');
    expect(clip('x'.repeat(10), 10)).toBe('x'.repeat(10));
    const cut = clip('x'.repeat(11), 10);
    expect(cut).toHaveLength(10);
    expect(cut).toBe(`${'x'.repeat(9)}…`);
  });
});
