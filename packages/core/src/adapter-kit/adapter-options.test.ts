import { describe, expect, it } from 'vitest';
import { createWrit } from '../writ.js';
import { parseAdapterOptions } from './adapter-options.js';

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
