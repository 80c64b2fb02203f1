// Process A: the support desk. alice signs in at the company's OpenID Provider; the desk's orchestrator
// (a real AI SDK `generateText` tool loop) delegates her ticket to a sub-agent with a narrower scope;
// the sub-agent's tools call the orders MCP server (process B, ./orders-server.ts) over Streamable HTTP,
// each with a credential for the server's URL only. The server decides on its own policy: the lookup
// runs, deleting the customer is denied, the refund waits for a human, whom the desk asks (maria signs
// in at the OpenID Provider for that one approval). A tool pointed at the wrong server sends a
// credential for another audience: refused. The orchestrator then asks for a delegation wider than its
// own scope: refused. Each service keeps its own log, signed with its own key.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { writTools } from '@writ/ai-sdk';
import {
  composeIdentity,
  createLocalAuthority,
  createLocalIdentity,
  createOidcRequesterVerifier,
} from '@writ/identity';
import { APPROVAL_META_KEY, instrumentClient, type WritApprovalMeta } from '@writ/mcp';
import { startWritTelemetry } from '@writ/otel';
import { generateText, isStepCount, tool } from 'ai';
import { createWrit, defineAgent } from 'writ';
import { z } from 'zod';
import { scriptedModel } from './scripted-models.ts';

/** The company's OpenID Provider, as the desk and the orders server know it. */
export interface IdentityProviderInfo {
  /** Its issuer identifier. */
  readonly issuer: string;
  /** The client id its ID tokens for the support desk are issued to. */
  readonly audience: string;
}

/** What {@link runTwoServices} needs from outside: where to keep state, the IdP, and the people. */
export interface TwoServicesOptions {
  /** Where both services keep their state (`support-desk/`, `orders-mcp/`). */
  readonly dir: string;
  readonly idp: IdentityProviderInfo;
  /** alice's ID token, from her sign-in at the IdP. */
  readonly aliceIdToken: string;
  /** maria signs in at the IdP for one approval: an ID token whose `nonce` is the binding hash. */
  readonly approverToken: (bindingHash: string) => Promise<string>;
}

/** What happened, and where the evidence is. */
export interface TwoServicesRun {
  /** What happened, line by line. */
  readonly lines: readonly string[];
  /** alice's task (the orchestrator's), and the sub-agent's delegated task. */
  readonly taskId: string;
  readonly delegatedTaskId: string;
  readonly correlationId: string;
  readonly ordersUrl: string;
  /** The audience of the misrouted tool's credential (another service's URL). */
  readonly otherAudience: string;
  readonly desk: { readonly log: string; readonly verifierKey: string };
  readonly orders: { readonly log: string; readonly verifierKey: string };
}

/** The billing MCP server's URL: the misrouted tool's credentials are for it. */
const BILLING = 'https://billing.example/mcp';
const SERVER_FILE = join(import.meta.dirname, 'orders-server.ts');

export async function runTwoServices(options: TwoServicesOptions): Promise<TwoServicesRun> {
  const lines: string[] = [];
  const print = (line: string) => lines.push(line);
  // spans get ids (the records carry the trace id; the server continues the desk's trace)
  const telemetry = await startWritTelemetry({ serviceName: 'support-desk', exporter: 'none' });
  const deskDir = join(options.dir, 'support-desk');
  const writ = createWrit({
    dir: deskDir,
    service: 'support-desk',
    trustDomain: 'support.example',
    // humans: ID tokens from the OpenID Provider; agents: the desk's own authority
    identity: composeIdentity({
      requesters: createOidcRequesterVerifier(options.idp),
      agents: createLocalIdentity({
        authority: await createLocalAuthority({ dir: join(deskDir, 'keys'), trustDomain: 'support.example' }),
      }),
    }),
    agents: [
      defineAgent({ id: 'support-bot', owner: 'support@example.com', purpose: 'Triage support tickets' }),
      defineAgent({ id: 'orders-clerk', owner: 'support@example.com', purpose: 'Handle orders' }),
    ],
  });
  const keys = await writ.publicKeys();

  // the desk's public keys, where the orders server fetches them (no private key leaves this process)
  const jwks = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(keys.jwks));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;

  const ordersDir = join(options.dir, 'orders-mcp');
  const child = spawn(process.execPath, [SERVER_FILE], {
    env: {
      ...process.env,
      ORDERS_DIR: ordersDir,
      ISSUER: keys.issuer,
      ISSUER_JWKS_URL: jwksUrl,
      APPROVER_ISSUER: options.idp.issuer,
      APPROVER_AUDIENCE: options.idp.audience,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const clients: Client[] = [];
  try {
    const orders = JSON.parse(await firstLine(child)) as { url: string; verifierKey: string };
    print(`orders-mcp (pid ${child.pid}) listening on ${orders.url}`);
    const connect = async (audience: string) => {
      const client = instrumentClient(
        new Client({ name: 'support-desk', version: '1.0.0' }, { capabilities: { elicitation: {} } }),
        { audience },
      );
      // the server asks for approvals over the session: maria signs in at the IdP for this one
      client.setRequestHandler(ElicitRequestSchema, async ({ params }) => {
        const approval = params._meta?.[APPROVAL_META_KEY] as WritApprovalMeta | undefined;
        if (approval === undefined) return { action: 'decline' };
        print(`  [desk] orders-mcp asks: ${params.message.split('\n')[0]}`);
        print(`  [desk]   maria approves ${JSON.stringify(approval.args)} (${approval.bindingHash})`);
        const approverToken = await options.approverToken(approval.bindingHash);
        return { action: 'accept', content: { approve: true, approverToken } };
      });
      await client.connect(new StreamableHTTPClientTransport(new URL(orders.url)));
      clients.push(client);
      return client;
    };
    const toOrders = await connect(orders.url);
    // misconfigured: the billing tool's client points at the orders server
    const misrouted = await connect(BILLING);

    /** Calls a tool of the orders server; its refusals come back to the model as tool errors. */
    const remote = (client: Client, name: string) => async (args: Record<string, unknown>) => {
      const result = await client.callTool({ name, arguments: args });
      const text = (result.content as { type: string; text?: string }[])[0]?.text ?? '';
      print(`  [clerk] ${name} ${JSON.stringify(args)} -> ${result.isError === true ? 'ERROR ' : ''}${text}`);
      if (result.isError === true) throw new Error(text);
      return text;
    };
    // the sub-agent's tools: each call's credential is minted for the server it goes to
    const clerkTools = writTools(
      {
        lookup_order: tool({
          description: 'Read an order',
          inputSchema: z.object({ orderId: z.string() }),
          execute: remote(toOrders, 'lookup_order'),
        }),
        refund_order: tool({
          description: 'Refund part of an order',
          inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
          execute: remote(toOrders, 'refund_order'),
        }),
        close_account: tool({
          description: "Close the customer's account",
          inputSchema: z.object({ customerId: z.string() }),
          execute: remote(toOrders, 'delete_customer'),
        }),
        lookup_invoice: tool({
          description: 'Read the invoice of an order (billing)',
          inputSchema: z.object({ orderId: z.string() }),
          execute: remote(misrouted, 'lookup_order'),
        }),
      },
      {
        writ,
        tools: {
          lookup_order: { permission: 'orders:read', audience: orders.url, annotations: { readOnly: true } },
          refund_order: { permission: 'orders:refund', risk: 'medium', audience: orders.url },
          close_account: { permission: 'orders:write', risk: 'medium', audience: orders.url },
          lookup_invoice: { permission: 'orders:read', audience: BILLING, annotations: { readOnly: true } },
        },
      },
    );
    const clerk = () =>
      generateText({
        model: scriptedModel('orders-clerk', [
          { tool: 'lookup_order', input: { orderId: '42' } },
          { tool: 'refund_order', input: { orderId: '42', amount: 250 } },
          { tool: 'close_account', input: { customerId: 'cus_7' } },
          { tool: 'lookup_invoice', input: { orderId: '42' } },
          { text: 'Order 42 refunded (250); the account stays open; no invoice.' },
        ]),
        tools: clerkTools,
        prompt: 'Order 42 arrived damaged: refund 250, close account cus_7, find the invoice.',
        stopWhen: isStepCount(6),
      });

    let delegatedTaskId = '';
    // the orchestrator's one tool: hand the ticket to the clerk, with the scope the clerk needs
    const orchestratorTools = writTools(
      {
        ask_orders_clerk: tool({
          description: 'Delegate an order ticket to the orders clerk',
          inputSchema: z.object({ ticket: z.string(), scope: z.array(z.string()) }),
          execute: async ({ ticket, scope }) =>
            writ.delegate({ agent: 'orders-clerk', scope, intent: ticket }, async (sub) => {
              delegatedTaskId = sub.attribution.taskId;
              return (await clerk()).text;
            }),
        }),
      },
      { writ, tools: { ask_orders_clerk: { permission: 'orders:read', risk: 'low' } } },
    );

    const ask = 'Order 42 arrived damaged: refund 250 and close my account.';
    const { taskId, correlationId, answer } = await writ.task(
      { requester: options.aliceIdToken, agent: 'support-bot', intent: ask, scope: ['orders:*'] },
      async (task) => {
        print(`alice: ${ask}`);
        const result = await generateText({
          model: scriptedModel('support-bot', [
            {
              tool: 'ask_orders_clerk',
              input: { ticket: ask, scope: ['orders:read', 'orders:refund', 'orders:write'] },
            },
            // wider than the orchestrator's own scope: refused
            { tool: 'ask_orders_clerk', input: { ticket: 'Refund to the card', scope: ['payments:refund'] } },
            { text: 'Your refund of 250 is done; payments are out of my reach.' },
          ]),
          tools: orchestratorTools,
          prompt: ask,
          stopWhen: isStepCount(4),
        });
        for (const step of result.steps)
          for (const part of step.content)
            if (part.type === 'tool-error')
              print(`  [support-bot] ${part.toolName} refused: ${String(part.error)}`);
        return { ...task.attribution, answer: result.text };
      },
    );
    print(`support-bot: ${answer}`);

    for (const client of clients.splice(0)) await client.close();
    child.kill('SIGTERM');
    print(`orders-mcp exited with code ${await exited(child)}`);
    await writ.close();
    return {
      lines,
      taskId,
      delegatedTaskId,
      correlationId,
      ordersUrl: orders.url,
      otherAudience: BILLING,
      desk: { log: join(deskDir, 'audit'), verifierKey: keys.verifierKey as string },
      orders: { log: join(ordersDir, 'audit'), verifierKey: orders.verifierKey },
    };
  } finally {
    for (const client of clients) await client.close().catch(() => undefined);
    if (child.exitCode === null) child.kill('SIGKILL');
    jwks.closeAllConnections();
    await new Promise<void>((resolve) => jwks.close(() => resolve()));
    await telemetry.shutdown();
  }
}

/** The first line a child process prints (it prints its address once it listens). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`the orders server exited (${code}) before listening`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
