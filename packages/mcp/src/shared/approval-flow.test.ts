import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type ElicitingServer, elicitApproval } from './approval-flow.js';
import { APPROVAL_META_KEY, APPROVAL_SCHEMA, APPROVAL_SCHEMA_WITH_TOKEN } from './approval-form.js';

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
    const ask = (withApproverToken = false) =>
      elicitApproval(mcpServer.server as unknown as ElicitingServer, {
        message: 'Allow refund_order with {"orderId":"42"}?',
        approval: {
          tool: 'refund_order',
          args: { orderId: '42' },
          bindingHash: 'sha256:abc',
          expiresAt: 1_700_000_000_000,
          verifiedApprover: false,
        },
        withApproverToken,
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
    expect(await ask()).toEqual({
      approved: true,
      reason: 'checked the receipt',
      approverToken: undefined,
    });
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
          args: { orderId: '42' },
          bindingHash: 'sha256:abc',
          expiresAt: 1_700_000_000_000,
          verifiedApprover: false,
        },
      },
    });
  });

  it('asks with the approver token field when the server verifies approvers, and hands the token back unverified', async () => {
    const { ask, asked } = await connect({ elicitation: {} }, [
      { action: 'accept', content: { approve: true, approverToken: 'eyJ.token.sig' } },
      { action: 'accept', content: { approve: true, approverToken: '' } },
    ]);
    expect(await ask(true)).toEqual({ approved: true, reason: undefined, approverToken: 'eyJ.token.sig' });
    expect(await ask(true)).toEqual({ approved: true, reason: undefined, approverToken: undefined });
    expect(asked[0]).toMatchObject({ mode: 'form', requestedSchema: APPROVAL_SCHEMA_WITH_TOKEN });
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
