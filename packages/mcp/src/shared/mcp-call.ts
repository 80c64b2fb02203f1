import { extractTaskToken, type HeadersLike } from '@writ/core/adapter';
import type { TaskTokenSource } from './options.js';

/** What the flow needs to know about one `tools/call`, whatever the SDK generation. @internal */
export interface McpCall<Auth> {
  /** `params._meta` of the request. */
  readonly meta: Record<string, unknown>;
  readonly requestId: string | number;
  readonly sessionId: string | undefined;
  readonly signal: AbortSignal;
  readonly authInfo: (Auth & { readonly token?: unknown }) | undefined;
  /** The HTTP request's headers (Streamable HTTP), when there is one. */
  readonly headers: Record<string, unknown> | HeadersLike | undefined;
}

/** `call.framework.ids` of the decision record: the JSON-RPC request id and the MCP session id. @internal */
export function frameworkIds(request: McpCall<unknown>): Record<string, string> {
  const ids: Record<string, string> = { requestId: String(request.requestId) };
  if (request.sessionId !== undefined) ids.sessionId = request.sessionId;
  return ids;
}

/** The caller's task token: the first of `sources` that carries one. @internal */
export function findTaskToken(
  request: McpCall<unknown>,
  sources: readonly TaskTokenSource[],
): { token: string; source: TaskTokenSource } | undefined {
  for (const source of sources) {
    let token: string | undefined;
    if (source === 'meta') {
      token = extractTaskToken(request.meta, { format: 'mcp' });
    } else if (source === 'header') {
      token =
        request.headers === undefined ? undefined : extractTaskToken(request.headers, { format: 'http' });
    } else {
      const bearer = request.authInfo?.token;
      token = typeof bearer === 'string' && bearer.length > 0 ? bearer : undefined;
    }
    if (token !== undefined) return { token, source };
  }
  return undefined;
}
