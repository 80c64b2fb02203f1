import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MCP_DEFAULTS } from '../defaults.js';
import {
  APPROVAL_META_KEY,
  APPROVAL_SCHEMA,
  approvalText,
  type ElicitingServer,
  elicitApproval,
  previewArgs,
  supportsFormElicitation,
  type WritApprovalRequest,
} from './approval-flow.js';

describe('previewArgs', () => {
  it('shows the arguments as JSON, cut to the preview length', () => {
    expect(previewArgs({ orderId: '42' })).toBe('{"orderId":"42"}');
    expect(previewArgs(undefined)).toBe('{}');
    expect(previewArgs({ note: 'x'.repeat(20) }, 10)).toBe('{"note":"x…');
    expect(previewArgs('y'.repeat(MCP_DEFAULTS.approvalPreviewChars + 5))).toHaveLength(
      MCP_DEFAULTS.approvalPreviewChars + 1,
    );
  });

  it('says so when the arguments cannot be shown', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(previewArgs(cyclic)).toBe('(arguments cannot be shown)');
    expect(previewArgs({ big: 1n })).toBe('(arguments cannot be shown)');
  });
});

describe('supportsFormElicitation', () => {
  it('is true for form elicitation, and for an empty elicitation capability (form, per the spec)', () => {
    expect(supportsFormElicitation({ elicitation: {} })).toBe(true);
    expect(supportsFormElicitation({ elicitation: { form: {} } })).toBe(true);
    expect(supportsFormElicitation({ elicitation: { form: {}, url: {} } })).toBe(true);
  });

  it('is false without the capability, or with URL elicitation only', () => {
    expect(supportsFormElicitation(undefined)).toBe(false);
    expect(supportsFormElicitation({})).toBe(false);
    expect(supportsFormElicitation({ elicitation: { url: {} } })).toBe(false);
  });
});

describe('approvalText', () => {
  const request: WritApprovalRequest = {
    tool: 'refund_order',
    args: { orderId: '42' },
    argsPreview: '{"orderId":"42"}',
    message: 'refund_order needs human approval (cedar)',
    bindingHash: `sha256:${'a'.repeat(64)}`,
    expiresAt: 1_700_000_000_000,
  };
  const fallback = 'refund_order needs human approval (cedar). Allow refund_order with {"orderId":"42"}?';

  it("is the approvalMessage option's text, given the whole request", () => {
    const seen: WritApprovalRequest[] = [];
    const text = approvalText(request, (r) => {
      seen.push(r);
      return `Refund ${(r.args as { orderId: string }).orderId}?`;
    });
    expect(text).toBe('Refund 42?');
    expect(seen).toEqual([request]);
  });

  it('falls back to the default text without the option, or when it throws or returns no text', () => {
    expect(approvalText(request, undefined)).toBe(fallback);
    expect(
      approvalText(request, () => {
        throw new Error('template broken');
      }),
    ).toBe(fallback);
    expect(approvalText(request, () => '')).toBe(fallback);
    expect(approvalText(request, () => 42 as unknown as string)).toBe(fallback);
  });
});

describe('elicitApproval against a real MCP client', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  /** A connected SDK server/client pair; the client answers elicitations with `answers`, in order. */
  async function connect(
    capabilities: { elicitation?: Record<string, never> },
    answers: (ElicitResult | Error)[],
  ) {
    const mcpServer = new McpServer({ name: 'orders', version: '1.0.0' });
    const client = new Client({ name: 'support-ui', version: '1.0.0' }, { capabilities });
    const asked: ElicitRequest['params'][] = [];
    if (capabilities.elicitation !== undefined) {
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params);
        const answer = answers.shift() ?? { action: 'cancel' };
        if (answer instanceof Error) throw answer;
        return answer;
      });
    }
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await mcpServer.connect(serverTransport);
    await client.connect(clientTransport);
    close = async () => {
      await client.close();
      await mcpServer.close();
    };
    const ask = () =>
      elicitApproval(mcpServer.server as unknown as ElicitingServer, {
        message: 'Allow refund_order with {"orderId":"42"}?',
        approval: { tool: 'refund_order', bindingHash: 'sha256:abc', expiresAt: 1_700_000_000_000 },
        relatedRequestId: 1,
        signal: new AbortController().signal,
        timeoutMs: 60_000,
      });
    return { ask, asked };
  }

  it("asks with Writ's form and _meta, and approves only an accepted, ticked form", async () => {
    const { ask, asked } = await connect({ elicitation: {} }, [
      { action: 'accept', content: { approve: true, reason: '  checked the receipt  ' } },
      { action: 'accept', content: { approve: false } },
    ]);
    expect(await ask()).toEqual({ approved: true, reason: 'checked the receipt' });
    expect(await ask()).toEqual({
      approved: false,
      answered: true,
      reason: 'the user answered without ticking approve',
    });
    expect(asked[0]).toMatchObject({
      mode: 'form',
      message: 'Allow refund_order with {"orderId":"42"}?',
      requestedSchema: APPROVAL_SCHEMA,
      _meta: {
        [APPROVAL_META_KEY]: {
          tool: 'refund_order',
          bindingHash: 'sha256:abc',
          expiresAt: 1_700_000_000_000,
        },
      },
    });
  });

  it('refuses on decline (keeping the reason) and on cancel', async () => {
    const { ask } = await connect({ elicitation: {} }, [
      { action: 'decline', content: { reason: 'too much' } },
      { action: 'decline' },
      { action: 'cancel' },
    ]);
    expect(await ask()).toEqual({ approved: false, answered: true, reason: 'too much' });
    expect(await ask()).toEqual({
      approved: false,
      answered: true,
      reason: 'the user declined in the MCP client',
    });
    expect(await ask()).toEqual({
      approved: false,
      answered: true,
      reason: 'the user dismissed the approval request',
    });
  });

  it('refuses, unanswered, when the client cannot ask its user or the request fails', async () => {
    const mute = await connect({}, []);
    expect(await mute.ask()).toEqual({
      approved: false,
      answered: false,
      reason:
        'the MCP client cannot ask its user (it did not declare the elicitation capability), so no human approved the call',
    });
    await close?.();
    const failing = await connect({ elicitation: {} }, [new Error('the approval UI crashed')]);
    const answer = await failing.ask();
    expect(answer).toMatchObject({ approved: false, answered: false });
    expect(answer.reason).toMatch(/^asking the MCP client's user failed: .*the approval UI crashed/);
  });
});
