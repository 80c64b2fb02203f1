/**
 * Default option values of `@writ/mcp`, in one place.
 *
 * @example
 * ```ts
 * import { MCP_DEFAULTS } from '@writ/mcp';
 * console.log(`task tokens are read from: ${MCP_DEFAULTS.tokenSources.join(', ')}`);
 * ```
 */
export const MCP_DEFAULTS = Object.freeze({
  /** Name recorded as `call.framework.name` in decision records. @default 'mcp' */
  frameworkName: 'mcp',
  /**
   * Whether a server refuses calls that carry no task token. When `false`, such calls run as an
   * autonomous task of the server's own agent. A token that is present but fails verification is
   * always refused. @default true
   */
  requireTaskToken: true,
  /**
   * Where a server looks for the caller's task token, in order: `params._meta["io.writ/txn-token"]`,
   * the HTTP `Txn-Token` header of the request (Streamable HTTP), the bearer token of the transport's
   * `authInfo`. @default ['meta', 'header', 'authInfo']
   */
  tokenSources: Object.freeze(['meta', 'header', 'authInfo'] as const),
  /**
   * Whether an instrumented client sends a credential in `params._meta`: one minted or exchanged for the
   * server's audience, never the task token. @default true
   */
  taskToken: true,
  /** Instrumentation scope name of the CLIENT spans. @default '@writ/mcp' */
  tracerName: '@writ/mcp',
  /**
   * Longest argument text (indented canonical JSON) an approval prompt shows, in characters. Larger
   * arguments are refused without asking: a prompt never shows less than the approval binds. @default 4000
   */
  approvalArgsMaxChars: 4000,
});
