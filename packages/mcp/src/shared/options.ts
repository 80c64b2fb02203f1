import type { Principal, Writ } from '@writ/core';
import {
  type AdapterOptions,
  type AdapterToolHints,
  type InboundTask,
  parseAdapterOptions,
} from '@writ/core/adapter';
import { functionSchema, validateOptions } from '@writ/core/internal';
import { isValidScopeItem } from '@writ/core/plugin';
import { z } from 'zod';
import { MCP_DEFAULTS } from '../defaults.js';
import type { WritApprovalRequest } from './approval-prompt.js';
import type { McpPendingApproval } from './approval-suspend.js';
import { resourceUri, resourceUriProblem } from './resource-uri.js';

/**
 * Where a server may find the caller's credential: `params._meta["io.writ/txn-token"]` (`meta`), the
 * HTTP `Txn-Token` header of a Streamable HTTP request (`header`), or the transport's bearer token
 * (`authInfo`, what the SDK's bearer-auth middleware or your own auth hands to the transport).
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 *
 * // the bearer token of this server's transport is an OAuth token for the server, not a Writ credential
 * const tokenSources: TaskTokenSource[] = ['meta', 'header'];
 * instrumentServer(server, {
 *   writ,
 *   agent: 'orders-mcp',
 *   audience: 'https://orders.example.com/mcp',
 *   verifyTaskToken: (token, { audience }) => verifyTaskToken(token, { issuer, audience, jwks }),
 *   tokenSources,
 * });
 * ```
 */
export type TaskTokenSource = 'meta' | 'header' | 'authInfo';

/**
 * What a {@link TaskTokenVerifier} is told about the call the token came with. `Auth` is the SDK's
 * `AuthInfo` type.
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 *
 * const verify: TaskTokenVerifier = (token, { audience, tool, source }) => {
 *   log.debug({ tool, source }, 'verifying the caller’s credential');
 *   return verifyTaskToken(token, { issuer, audience, jwks });
 * };
 * ```
 */
export interface TaskTokenVerificationOf<Auth> {
  /**
   * This server's audience (its canonical resource URI, the `audience` option): verify the token for
   * it, and nothing else.
   */
  readonly audience: string;
  /** The tool being called. */
  readonly tool: string;
  /** Where the token was found. */
  readonly source: TaskTokenSource;
  /** The transport's auth info, when it has any. */
  readonly authInfo: Auth | undefined;
  /** The MCP session id, when the transport has sessions. */
  readonly sessionId: string | undefined;
}

/**
 * A caller's credential once verified: what it says (`InboundTask`) and the audience it was issued for,
 * which must name this server (the shape of `@writ/identity`'s `VerifiedTaskToken`).
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 *
 * const verified: VerifiedInbound = await verifyTaskToken(token, { issuer, audience: 'https://orders.example.com/mcp', jwks });
 * verified.audience; // ['https://orders.example.com/mcp']
 * ```
 */
export interface VerifiedInbound extends InboundTask {
  /** The credential's `aud`: `instrumentServer` refuses it unless it names this server's audience. */
  readonly audience: string | readonly string[];
}

/**
 * Verifies a caller's credential and returns what it says (the shape of `@writ/identity`'s
 * `VerifiedTaskToken`). Throw to refuse: the error's code and message reach the client. The credential
 * must be for this server (`context.audience`); `instrumentServer` checks the returned `audience` too.
 * Pass the issuer's revocation check when you have one (`isRevoked`).
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 * import { createRemoteJWKSet } from 'jose';
 *
 * const jwks = createRemoteJWKSet(new URL('https://support.example.com/.well-known/jwks.json'));
 * const verify: TaskTokenVerifier = (token, { audience }) =>
 *   verifyTaskToken(token, { issuer: 'spiffe://support.example', audience, jwks });
 * ```
 */
export type TaskTokenVerifierOf<Auth> = (
  token: string,
  context: TaskTokenVerificationOf<Auth>,
) => VerifiedInbound | Promise<VerifiedInbound>;

/**
 * What an {@link ApproverVerifier} is told about the approval the token answers.
 *
 * @example
 * ```ts
 * const verifyApprover: ApproverVerifier = (token, { tool, bindingHash }) => {
 *   log.info({ tool, bindingHash }, 'verifying an approver token');
 *   return oidc.verifyRequester(token);
 * };
 * ```
 */
export interface ApproverVerification {
  /** The tool the approval is for. */
  readonly tool: string;
  /** The approval's binding hash: the token's `nonce` must be exactly this. */
  readonly bindingHash: string;
  /** Epoch ms after which the approval is refused. */
  readonly expiresAt: number;
}

/**
 * Verifies the approver token an elicitation answer carries (`approverToken`): an ID token from an
 * identity provider this server trusts, obtained for this approval (its `nonce` is the binding hash),
 * e.g. `createOidcRequesterVerifier(...).verifyRequester`. Returns the approver (assurance `verified`,
 * with the token's `claims`); throw to refuse. `instrumentServer` then checks `claims.nonce`.
 *
 * @example
 * ```ts
 * import { createOidcRequesterVerifier } from '@writ/identity';
 *
 * const oidc = createOidcRequesterVerifier({ issuer: 'https://login.example.com', audience: 'support-desk' });
 * const verifyApprover: ApproverVerifier = (token) => oidc.verifyRequester(token);
 * ```
 */
export type ApproverVerifier = (
  token: string,
  context: ApproverVerification,
) => Principal | Promise<Principal>;

/**
 * Options of `instrumentServer`: the options every Writ adapter takes (`writ`, `tools`, `defaults`)
 * plus who the server is and how it checks its callers. `Auth` is the SDK's `AuthInfo` type.
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 *
 * const options: InstrumentServerOptions = {
 *   writ,
 *   agent: 'orders-mcp',
 *   audience: 'https://orders.example.com/mcp', // the URL clients connect to
 *   verifyTaskToken: (token, { audience }) => verifyTaskToken(token, { issuer, audience, jwks, isRevoked }),
 *   tools: { refund_order: { risk: 'high', permission: 'orders:refund' } },
 * };
 * ```
 */
export interface InstrumentServerOptionsOf<Auth> extends AdapterOptions {
  /** Name of the server's own agent, appended to the caller's chain (resolved to its workload identity). */
  agent: string;
  /**
   * This server's audience: its resource URI (RFC 8707), e.g. `https://orders.example.com/mcp`, the URL
   * clients connect to. Only credentials issued for it are accepted (`WRIT_AUDIENCE_MISMATCH` otherwise).
   */
  audience: string | URL;
  /** Verifies the caller's credential; the server's records take the task id, requester and chain from it. */
  verifyTaskToken: TaskTokenVerifierOf<Auth>;
  /** Refuse calls without a task token. @default MCP_DEFAULTS.requireTaskToken (true) */
  requireTaskToken?: boolean | undefined;
  /** Where to look for the task token, in order. @default MCP_DEFAULTS.tokenSources (['meta', 'header', 'authInfo']) */
  tokenSources?: readonly TaskTokenSource[] | undefined;
  /** Narrows the caller's scope on this server (never widens it: `WRIT_SCOPE_EXCEEDED`). @default the token's scope */
  scope?: readonly string[] | undefined;
  /**
   * The first lines of the approval elicitation; Writ always adds the complete arguments and the binding
   * hash after them. @default `<check.message>. Allow <tool> with these arguments?`
   */
  approvalMessage?: ((request: WritApprovalRequest) => string) | undefined;
  /**
   * Verifies an approver token given with an approval (for approvals policy wants from a verified
   * approver). Without it, approvals answered through the client are recorded with assurance `claimed`,
   * and calls whose policy requires a verified approver are refused without asking.
   */
  verifyApprover?: ApproverVerifier | undefined;
  /**
   * Longest argument text (pretty JSON) an approval prompt shows; larger arguments are refused
   * without asking (`WRIT_APPROVAL_REJECTED`, recorded). @default MCP_DEFAULTS.approvalArgsMaxChars (4000)
   */
  approvalArgsMaxChars?: number | undefined;
  /**
   * Where the human answers an approval when the Writ instance is in suspend mode (`approvalMode:
   * 'suspend'`, the default with `@writ/postgres`): a page of yours (a console) that shows the pending
   * approval named by `pending.bindingHash` and answers it with `ApprovalStore.answer`. The call is then
   * refused at once, never held open, with the MCP error `URLElicitationRequiredError` (-32042, URL-mode
   * elicitation, MCP 2025-11-25) carrying this URL; the client opens it and calls the tool again, on any
   * replica. Without it (or when the client did not declare URL elicitation), the call returns a tool
   * error with code `WRIT_APPROVAL_PENDING` and the binding hash (`_meta["io.writ/refusal"]`).
   */
  approvalUrl?: ((pending: McpPendingApproval) => string | URL) | undefined;
}

/** The validated server options, defaults applied. @internal */
export interface ServerSettings<Auth> {
  readonly writ: Writ | undefined;
  readonly tools: AdapterOptions['tools'];
  readonly defaults: AdapterToolHints | undefined;
  readonly agent: string;
  /** The server's canonical resource URI. */
  readonly audience: string;
  readonly verify: TaskTokenVerifierOf<Auth>;
  readonly requireTaskToken: boolean;
  readonly tokenSources: readonly TaskTokenSource[];
  readonly scope: readonly string[] | undefined;
  readonly approvalMessage: ((request: WritApprovalRequest) => string) | undefined;
  readonly verifyApprover: ApproverVerifier | undefined;
  readonly approvalArgsMaxChars: number;
  readonly approvalUrl: ((pending: McpPendingApproval) => string | URL) | undefined;
}

const serverSchema = z.strictObject({
  agent: z.string().min(1).max(256),
  audience: z.custom<string | URL>((v) => resourceUriProblem(v) === undefined, {
    error: (issue) =>
      issue.input === undefined
        ? "required: this server's resource URI (RFC 8707), e.g. 'https://orders.example.com/mcp'"
        : `${String(issue.input)} ${resourceUriProblem(issue.input)}`,
  }),
  verifyTaskToken: functionSchema<TaskTokenVerifierOf<unknown>>(
    'must be a function (token, context) => VerifiedInbound, e.g. wrapping verifyTaskToken from @writ/identity',
  ),
  requireTaskToken: z.boolean().optional(),
  tokenSources: z
    .array(z.enum(['meta', 'header', 'authInfo']))
    .min(1)
    .optional(),
  scope: z
    .array(z.string().refine(isValidScopeItem, { message: 'invalid scope item' }))
    .max(1024)
    .optional(),
  approvalMessage: functionSchema<(request: WritApprovalRequest) => string>(
    'must be a function (request) => string',
  ).optional(),
  verifyApprover: functionSchema<ApproverVerifier>(
    'must be a function (token, context) => Principal, e.g. an OIDC verifier’s verifyRequester',
  ).optional(),
  approvalArgsMaxChars: z.number().int().min(64).max(100_000).optional(),
  approvalUrl: functionSchema<(pending: McpPendingApproval) => string | URL>(
    'must be a function (pending) => string | URL, the page where the approval is answered',
  ).optional(),
});

/** Validates `instrumentServer`'s options (`WRIT_OPTIONS_INVALID` naming the option) and applies defaults. @internal */
export function parseServerOptions<Auth>(options: InstrumentServerOptionsOf<Auth>): ServerSettings<Auth> {
  const { writ, tools, defaults, ...rest } = parseAdapterOptions(options, 'instrumentServer');
  const settings = validateOptions(serverSchema, rest, 'instrumentServer');
  return {
    writ,
    tools,
    defaults,
    agent: settings.agent,
    audience: resourceUri(settings.audience),
    verify: settings.verifyTaskToken as TaskTokenVerifierOf<Auth>,
    requireTaskToken: settings.requireTaskToken ?? MCP_DEFAULTS.requireTaskToken,
    tokenSources: settings.tokenSources ?? MCP_DEFAULTS.tokenSources,
    scope: settings.scope,
    approvalMessage: settings.approvalMessage,
    verifyApprover: settings.verifyApprover,
    approvalArgsMaxChars: settings.approvalArgsMaxChars ?? MCP_DEFAULTS.approvalArgsMaxChars,
    approvalUrl: settings.approvalUrl,
  };
}
