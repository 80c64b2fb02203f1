import { describe, expect, it } from 'vitest';
import { hintsFor } from './tool-hints.js';

describe('hintsFor', () => {
  it('turns MCP annotations into Writ annotations', () => {
    expect(
      hintsFor(
        { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
        undefined,
        undefined,
      ),
    ).toEqual({ annotations: { readOnly: true, destructive: false, idempotent: true, openWorld: false } });
  });

  it("lets the tool's own Writ hints win over the annotations, and the annotations over the defaults", () => {
    expect(
      hintsFor(
        { readOnlyHint: true, destructiveHint: true },
        { risk: 'high', annotations: { destructive: false } },
        { risk: 'low', annotations: { readOnly: false, openWorld: false } },
      ),
    ).toEqual({ risk: 'high', annotations: { readOnly: true, destructive: false, openWorld: false } });
  });

  it('ignores annotations that are not booleans, and adds no annotations where there are none', () => {
    const junk = { readOnlyHint: 'yes', openWorldHint: 1 } as unknown as Parameters<typeof hintsFor>[0];
    expect(hintsFor(junk, { permission: 'orders:read' }, undefined)).toEqual({ permission: 'orders:read' });
    expect(hintsFor(undefined, undefined, undefined)).toEqual({});
  });
});
