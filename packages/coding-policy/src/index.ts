/**
 * `@writ/coding-policy`: a Cedar policy pack for coding agents. Claude Code's built-in tool inputs mapped
 * to resources (a command line, a file path, a URL), shell commands parsed with mvdan/sh rather than
 * pattern-matched, and policies a security team can sign: no writes outside the workspace, destructive
 * commands asking a human or denied, fetches to an allowlist, credentials unreadable.
 * @packageDocumentation
 * @module @writ/coding-policy
 */

export {
  type CodingFacts,
  type CodingFactsOptions,
  codingAgentContext,
  codingFacts,
  extendContext,
} from './facts.js';
export { isSecretPath, type PathContext, type ResolvedPath, resolveWorkspacePath } from './paths.js';
export { type CodingAgentPolicy, type CodingAgentPolicyOptions, codingAgentPolicy } from './policy.js';
export {
  CODING_POLICY_DEFAULTS,
  CODING_POLICY_FILES,
  type CodingPolicySourcesOptions,
  codingPolicyPaths,
  codingPolicySources,
} from './policy-sources.js';
export { CODING_RESOURCE_TYPES, type CodingAgentResourceOptions, codingAgentResource } from './resource.js';
export type { ShellEffect } from './shell/effects.js';
export {
  type ParsedShell,
  parseShell,
  type ShellCommand,
  type ShellCwd,
  type ShellRedirect,
} from './shell/parse-shell.js';
export { type ShellFacts, shellFacts } from './shell/shell-facts.js';
export type { ShellWord } from './shell/shell-word.js';
