// Test fixtures shared by the 1.x and 2.x suites: two zero-config Writ instances (a client side and a
// server side, each with its own directory, local authority, trust domain and audit log), the tools'
// Writ hints and bodies, and a loopback HTTP server. Nothing here touches an MCP SDK.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLines, verifyLog } from '@writ/audit';
import { type Attribution, getToolContext } from '@writ/core';
import { type AdapterOptions, hopCredential } from '@writ/core/adapter';
import { type PolicyEngine, VERIFIED_APPROVER } from '@writ/core/plugin';
import { type VerifiedTaskToken, verifyTaskToken } from '@writ/identity';
import { createWrit, type WritRuntime } from 'writ';

/** The orders server's audience (its resource URI): what clients are instrumented with. */
export const ORDERS_AUDIENCE = 'https://orders.example/mcp';

/** The Writ hints of the three tools, as an application would give them. */
export const TOOL_HINTS: AdapterOptions['tools'] = {
  lookup_order: {
    permission: 'orders:read',
    resource: (a) => ({ type: 'Order', id: String((a as { orderId: string }).orderId) }),
  },
  refund_order: {
    risk: 'high',
    permission: 'orders:refund',
    resource: (a) => ({ type: 'Order', id: String((a as { orderId: string }).orderId) }),
  },
  delete_customer: { permission: 'customers:delete' },
};

/** A stored audit record (the `r` of a log line). */
// biome-ignore lint/suspicious/noExplicitAny: records are read back from JSON and checked field by field
export type LogRecord = Record<string, any>;

export interface Side {
  readonly writ: WritRuntime;
  readonly dir: string;
  /** Every record of the side's log (checkpoints excluded), after the Writ instance is closed. */
  records(): Promise<LogRecord[]>;
  /** `verifyLog` of the side's log, deep, with the pinned verifier key. */
  verify(): ReturnType<typeof verifyLog>;
}

/** The records of a log directory, in order, checkpoints left out. */
export async function readRecords(auditDir: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const line of readLines(auditDir)) {
    const record = JSON.parse(line.bytes.toString()).r as LogRecord;
    if (record.kind !== 'checkpoint') out.push(record);
  }
  return out;
}

/** `[approved, approver id, approver assurance, reason]` of each approval record. */
export const approvalRows = (records: LogRecord[]) =>
  records
    .filter((r) => r.kind === 'approval')
    .map((a) => [
      a.approval.approved,
      a.approval.approver?.id,
      a.approval.approver?.assurance,
      a.approval.reason,
    ]);

/**
 * A policy that asks a verified approver for `tools` (the `writ:verified-approver` obligation, what
 * Cedar's `@approval("verified")` is for) and allows everything else.
 */
export function verifiedApproverPolicy(tools: readonly string[]): PolicyEngine {
  let decisions = 0;
  return {
    name: 'needs-verified',
    decide: async (request) => {
      const asks = tools.includes(request.action.name);
      return {
        effect: asks ? 'approval_required' : 'allow',
        policyIds: ['refunds'],
        reasons: [asks ? 'refunds need a verified approver' : 'allowed'],
        obligations: asks ? [{ id: VERIFIED_APPROVER }] : [],
        decisionId: `d-${++decisions}-${request.action.name}`,
        engine: 'needs-verified',
        evaluatedContext: request,
      };
    },
  };
}

function side(writ: WritRuntime, dir: string): Side {
  return {
    writ,
    dir,
    records: () => readRecords(join(dir, 'audit')),
    async verify() {
      const verifierKey = (await writ.ready()).fileAudit?.verifierKey;
      return verifyLog(join(dir, 'audit'), { verifierKey, deep: true });
    },
  };
}

/** The text of a tool result's first content block. */
export function text(result: unknown): string {
  const content = (result as { content: { type: string; text?: string }[] }).content;
  const first = content[0];
  return first?.type === 'text' ? (first.text ?? '') : '';
}

/** A text tool result. */
const reply = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

export interface Sides {
  readonly client: Side;
  readonly server: Side;
  /** A requester token for alice, signed by the client side's local authority. */
  readonly aliceToken: string;
  /** Issuer of the client side's tokens. */
  readonly clientIssuer: string;
  /**
   * Verifies credentials issued by the client side's authority for the audience the server asks for,
   * revocations included (the server's `verifyTaskToken`).
   */
  readonly verifyTaskToken: (token: string, context: { audience: string }) => Promise<VerifiedTaskToken>;
  /** What the tool handlers ran, in order. */
  readonly ran: string[];
  /** The attribution each server tool handler saw (from `getToolContext()`). */
  readonly seen: Attribution[];
  /** The bodies of the three tools. */
  readonly tools: {
    lookup(orderId: string): Promise<ReturnType<typeof reply>>;
    refund(orderId: string): Promise<ReturnType<typeof reply>>;
    remove(customerId: string): Promise<ReturnType<typeof reply>>;
  };
  /**
   * Runs `fn` in a client-side task for alice (agent support-bot, scope orders:*). `token` is the
   * credential an instrumented client sends the orders server (audience {@link ORDERS_AUDIENCE});
   * `taskToken` is the task token itself, which never leaves the client side.
   */
  asAlice<R>(
    fn: (task: { attribution: Attribution; token: string; taskToken: string }) => Promise<R>,
  ): Promise<R>;
  /** Run by `close()` in order, before the Writ instances close (MCP connections, HTTP servers). */
  readonly closers: (() => Promise<unknown>)[];
  /** Runs the closers, then closes both Writ instances (logs checkpointed). */
  close(): Promise<void>;
  /** Removes the directories. */
  cleanup(): Promise<void>;
}

export async function setupSides(): Promise<Sides> {
  const clientDir = await mkdtemp(join(tmpdir(), 'writ-mcp-client-'));
  const serverDir = await mkdtemp(join(tmpdir(), 'writ-mcp-server-'));
  const clientWrit = createWrit({ dir: clientDir, service: 'support-desk', trustDomain: 'support.example' });
  const serverWrit = createWrit({ dir: serverDir, service: 'orders-mcp', trustDomain: 'orders.example' });
  const { authority, localIdentity, revocations } = await clientWrit.ready();
  await serverWrit.ready();
  const aliceToken = (await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' })) as string;
  const ran: string[] = [];
  const seen: Attribution[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  return {
    client: side(clientWrit, clientDir),
    server: side(serverWrit, serverDir),
    aliceToken,
    clientIssuer: authority.issuer,
    verifyTaskToken: (token, { audience }) =>
      verifyTaskToken(token, {
        issuer: authority.issuer,
        audience,
        jwks: authority.jwks(),
        isRevoked: revocations?.isRevoked,
      }),
    ran,
    seen,
    tools: {
      async lookup(orderId) {
        ran.push(`lookup_order:${orderId}`);
        seen.push(getToolContext().attribution);
        return reply(JSON.stringify({ orderId, status: 'shipped' }));
      },
      async refund(orderId) {
        ran.push(`refund_order:${orderId}`);
        seen.push(getToolContext().attribution);
        return reply(`refunded ${orderId}`);
      },
      async remove(customerId) {
        ran.push(`delete_customer:${customerId}`);
        return reply(`deleted ${customerId}`);
      },
    },
    asAlice(fn) {
      return clientWrit.task(
        { requester: aliceToken, agent: 'support-bot', scope: ['orders:*'] },
        async (task) => {
          const credential = await hopCredential(ORDERS_AUDIENCE);
          return fn({
            attribution: task.attribution,
            token: credential?.token as string,
            taskToken: task.credential?.token as string,
          });
        },
      );
    },
    closers,
    async close() {
      for (const close of closers) await close();
      await clientWrit.close();
      await serverWrit.close();
    },
    async cleanup() {
      await rm(clientDir, { recursive: true, force: true });
      await rm(serverDir, { recursive: true, force: true });
    },
  };
}

/** The MCP side of a test: a real SDK server and client around {@link Sides}. */
export interface PartiesOf<Server, Client, Elicitation, Answer>
  extends Omit<Sides, 'tools' | 'verifyTaskToken'> {
  readonly mcpServer: Server;
  readonly mcpClient: Client;
  /** Elicitation requests the client received. */
  readonly elicitations: Elicitation[];
  /** Answers the client gives to elicitations, first in first out. */
  readonly answers: Answer[];
  /** Connects the client and server over the SDK's InMemoryTransport. */
  connectInMemory(): Promise<void>;
  /** Serves the MCP server over Streamable HTTP on 127.0.0.1 (random port); connects the client. */
  connectHttp(options?: { headers?: Record<string, string> }): Promise<URL>;
}

/** How a test sets its parties up. */
export interface PartiesOptionsOf<ServerOptions, ClientOptions> {
  /** Client capabilities. @default { elicitation: {} } */
  elicitation?: boolean;
  /** Extra instrumentServer options. */
  server?: Partial<ServerOptions>;
  /** instrumentClient options (false: leave the client uninstrumented). */
  client?: ClientOptions | false;
}

/** The bearer token of a request's `Authorization` header. */
export const bearerOf = (req: IncomingMessage): string | undefined =>
  /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];

/** Serves `handle` on 127.0.0.1 (random port): the MCP endpoint's URL and how to stop the server. */
export async function listenLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: URL; close(): Promise<void> }> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
