import type { Writ } from '@writ/core';
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
import type { WritApprovalRequest } from './approval-flow.js';

/**
 * Where a server may find the caller's task token: `params._meta["io.writ/txn-token"]` (`meta`), the
 * HTTP `Txn-Token` header of a Streamable HTTP request (`header`), or the transport's bearer token
 * (`authInfo`, what the SDK's bearer-auth middleware or your own auth hands to the transport).
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 *
 * // the bearer token of this server's transport is an OAuth token for the server, not a task token
 * const tokenSources: TaskTokenSource[] = ['meta', 'header'];
 * instrumentServer(server, {
 *   writ,
 *   agent: 'orders-mcp',
 *   verifyTaskToken: (token) => verifyTaskToken(token, { issuer, audience, jwks }),
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
 * const verify: TaskTokenVerifier = (token, { tool, source }) => {
 *   log.debug({ tool, source }, 'verifying the caller’s task token');
 *   return verifyTaskToken(token, { issuer, audience, jwks });
 * };
 * ```
 */
export interface TaskTokenVerificationOf<Auth> {
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
 * Verifies a caller's task token and returns what it says (the shape of `@writ/identity`'s
 * `VerifiedTaskToken`). Throw to refuse: the error's code and message reach the client.
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 * const verify: TaskTokenVerifier = (token) =>
 *   verifyTaskToken(token, { issuer: 'spiffe://support.example', audience: 'spiffe://support.example', jwks });
 * ```
 */
export type TaskTokenVerifierOf<Auth> = (
  token: string,
  context: TaskTokenVerificationOf<Auth>,
) => InboundTask | Promise<InboundTask>;

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
 *   verifyTaskToken: (token) => verifyTaskToken(token, { issuer, audience, jwks }),
 *   tools: { refund_order: { risk: 'high', permission: 'orders:refund' } },
 * };
 * ```
 */
export interface InstrumentServerOptionsOf<Auth> extends AdapterOptions {
  /** Name of the server's own agent, appended to the caller's chain (resolved to its workload identity). */
  agent: string;
  /** Verifies the caller's task token; the server's records take the task id, requester and chain from it. */
  verifyTaskToken: TaskTokenVerifierOf<Auth>;
  /** Refuse calls without a task token. @default MCP_DEFAULTS.requireTaskToken (true) */
  requireTaskToken?: boolean | undefined;
  /** Where to look for the task token, in order. @default MCP_DEFAULTS.tokenSources (['meta', 'header', 'authInfo']) */
  tokenSources?: readonly TaskTokenSource[] | undefined;
  /** Narrows the caller's scope on this server (never widens it: `WRIT_SCOPE_EXCEEDED`). @default the token's scope */
  scope?: readonly string[] | undefined;
  /** The text of the approval elicitation. @default `<check.message>. Allow <tool> with <args>?` */
  approvalMessage?: ((request: WritApprovalRequest) => string) | undefined;
}

/** The validated server options, defaults applied. @internal */
export interface ServerSettings<Auth> {
  readonly writ: Writ | undefined;
  readonly tools: AdapterOptions['tools'];
  readonly defaults: AdapterToolHints | undefined;
  readonly agent: string;
  readonly verify: TaskTokenVerifierOf<Auth>;
  readonly requireTaskToken: boolean;
  readonly tokenSources: readonly TaskTokenSource[];
  readonly scope: readonly string[] | undefined;
  readonly approvalMessage: ((request: WritApprovalRequest) => string) | undefined;
}

const serverSchema = z.strictObject({
  agent: z.string().min(1).max(256),
  verifyTaskToken: functionSchema<TaskTokenVerifierOf<unknown>>(
    'must be a function (token, context) => InboundTask, e.g. wrapping verifyTaskToken from @writ/identity',
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
    verify: settings.verifyTaskToken as TaskTokenVerifierOf<Auth>,
    requireTaskToken: settings.requireTaskToken ?? MCP_DEFAULTS.requireTaskToken,
    tokenSources: settings.tokenSources ?? MCP_DEFAULTS.tokenSources,
    scope: settings.scope,
    approvalMessage: settings.approvalMessage,
  };
}
