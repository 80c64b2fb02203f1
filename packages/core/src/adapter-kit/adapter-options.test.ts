import { describe, expect, it } from 'vitest';
import { createWrit } from '../writ.js';
import { checkToolHints, parseAdapterOptions } from './adapter-options.js';

describe('adapter options', () => {
  it('validates writ, tools and defaults, and passes the adapter’s own options through', () => {
    const writ = createWrit();
    const parsed = parseAdapterOptions(
      { writ, tools: { a: { risk: 'high' } }, approvals: 'native' } as never,
      'writTools',
    );
    expect(parsed).toMatchObject({ writ, tools: { a: { risk: 'high' } }, approvals: 'native' });
  });

  it('names the bad option', () => {
    expect(() => parseAdapterOptions({ writ: 'mine' } as never, 'writTools')).toThrow(
      /writTools: options\.writ: must be a Writ instance/,
    );
    expect(() => parseAdapterOptions({ tools: [] } as never, 'writTools')).toThrow(/options\.tools/);
  });
});

describe('per-tool hints for tools that do not exist', () => {
  it('are refused, naming the closest tool', () => {
    expect(() => checkToolHints({ refund_ordr: {} }, ['refund_order', 'lookup_order'], 'writTools')).toThrow(
      'writTools: options.tools.refund_ordr: no tool is named "refund_ordr" (did you mean "refund_order"?)',
    );
    expect(() => checkToolHints({ send_fax: {} }, ['refund_order'], 'writTools')).toThrow(
      /no tool is named "send_fax"$/,
    );
  });

  it('pass when every key names a tool (or there are none)', () => {
    expect(() =>
      checkToolHints({ refund_order: {} }, ['refund_order', 'lookup_order'], 'writTools'),
    ).not.toThrow();
    expect(() => checkToolHints(undefined, ['refund_order'], 'writTools')).not.toThrow();
  });
});
