/**
 * `@writ/claude-agent-sdk`: every tool call of a Claude Agent SDK agent through the Writ pipeline — SDK
 * MCP tools and Claude Code's built-ins (Bash, Write, Edit, WebFetch, Read, Task…) alike. Each call is
 * decided by policy from a `PreToolUse` hook (whatever the CLI's own read-only classification), approved
 * through the SDK's `canUseTool` permission flow when policy asks, credentialed, recorded with the
 * session id and traced; refusals reach the model in Writ's words, and `Task` sub-agents run as
 * delegations with narrowed scope.
 * @packageDocumentation
 * @module @writ/claude-agent-sdk
 */
export {
  FRAMEWORK,
  SUBAGENT_TOOLS,
  type SubagentDelegation,
  type WithWritOptions,
} from './options.js';
export { type SdkToolExtra, writToolContext } from './tool-context.js';
export { withWrit } from './with-writ.js';
