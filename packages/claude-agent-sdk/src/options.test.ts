import { describe, expect, it } from 'vitest';
import { withWrit } from './index.js';

describe('withWrit options', () => {
  it('names bad options and hint typos for built-ins (MCP tool names pass)', () => {
    expect(() => withWrit({}, { tools: { Bassh: { risk: 'high' } } })).toThrow(
      /withWrit: options\.tools\.Bassh: no tool is named "Bassh" \(did you mean "Bash"\?\)/,
    );
    expect(() => withWrit({}, { tools: { mcp__shop__refund_order: { risk: 'high' } } })).not.toThrow();
    expect(() => withWrit({}, { resource: 'Bash' } as never)).toThrow(/withWrit: .*resource/);
    expect(() => withWrit({}, { approver: { id: 'maria' } } as never)).toThrow(/withWrit: .*approver/);
    expect(() => withWrit({}, { ungoverned: 'keep' } as never)).toThrow(/withWrit: .*ungoverned/);
    expect(() => withWrit({ canUseTool: 'yes' } as never)).toThrow(/options\.canUseTool must be a function/);
  });

  it("returns a copy: Writ hooks first among the caller's, canUseTool wrapped, the caller's options untouched", () => {
    const mine = { hooks: async () => ({}) };
    const options = { cwd: '/work', hooks: { PreToolUse: [{ hooks: [mine.hooks] }] } };
    const governed = withWrit(options);
    expect(governed).not.toBe(options);
    expect(options.hooks.PreToolUse).toHaveLength(1);
    expect(governed.cwd).toBe('/work');
    expect(governed.hooks?.PreToolUse).toHaveLength(2);
    expect(governed.hooks?.PreToolUse?.[1]?.hooks[0]).toBe(mine.hooks);
    expect(Object.keys(governed.hooks ?? {}).sort()).toEqual(
      [
        'PostToolUse',
        'PostToolUseFailure',
        'PreToolUse',
        'SessionEnd',
        'Stop',
        'SubagentStart',
        'SubagentStop',
      ].sort(),
    );
    expect(typeof governed.canUseTool).toBe('function');
  });
});
