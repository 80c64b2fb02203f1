import { type Resource, WritError } from '@writ/core';
import { expandHome } from './paths.js';

/**
 * Options of {@link codingAgentResource}.
 *
 * @example
 * ```ts
 * const options: CodingAgentResourceOptions = { workspace: process.cwd() };
 * ```
 */
export interface CodingAgentResourceOptions {
  /** The agent's workspace (absolute): relative paths are resolved against it. */
  readonly workspace: string;
  /** What `~` expands to. @default os.homedir() */
  readonly home?: string | undefined;
}

/**
 * Resource types the pack maps tool inputs to, and computes facts for (the `coding` context entry).
 *
 * @example
 * ```ts
 * const resource = { type: CODING_RESOURCE_TYPES.shell, id: 'npm test', properties: { workspace: '/repo' } };
 * ```
 */
export const CODING_RESOURCE_TYPES = Object.freeze({
  /** A Bash command line; `id` is the command. */
  shell: 'coding.shell',
  /** A file read (Read); `id` is the path. */
  read: 'coding.read',
  /** A file written or edited (Write, Edit, MultiEdit, NotebookEdit); `id` is the path. */
  write: 'coding.write',
  /** A search root (Glob, Grep); `id` is the directory; `properties.glob` the file pattern. */
  search: 'coding.search',
  /** A URL fetched (WebFetch); `id` is the URL. */
  fetch: 'coding.fetch',
  /** A web search (WebSearch); `id` is the query; `properties.allowedDomains` / `blockedDomains`. */
  webSearch: 'coding.websearch',
});

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const texts = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/**
 * Maps the inputs of Claude Code's built-in tools (`@anthropic-ai/claude-agent-sdk`, `sdk-tools.d.ts`)
 * to Writ resources, for the policy to judge: Bash → the command line (`coding.shell`); Read → the
 * file (`coding.read`); Write, Edit, MultiEdit, NotebookEdit → the file (`coding.write`); Glob, Grep →
 * the search root (`coding.search`, default the workspace); WebFetch → the URL (`coding.fetch`);
 * WebSearch → the query and domains (`coding.websearch`). Paths are made absolute against the workspace
 * (`~` expanded); symlinks are resolved when the policy decides, not here. Returns `undefined` for other
 * tools (sub-agents, MCP tools…), which keep their own resource. Input that lacks the field a tool needs
 * maps to an empty id, which the policy denies as uncertain.
 *
 * @example
 * ```ts
 * const resourceOf = codingAgentResource({ workspace: '/home/dev/project' });
 * resourceOf('Bash', { command: 'rm -rf build' });
 * // { type: 'coding.shell', id: 'rm -rf build', properties: { workspace: '/home/dev/project' } }
 * resourceOf('Read', { file_path: '~/.ssh/id_rsa' })?.type; // 'coding.read'
 * ```
 */
export function codingAgentResource(
  options: CodingAgentResourceOptions,
): (toolName: string, input: Record<string, unknown>) => Resource | undefined {
  const { workspace } = options;
  if (typeof workspace !== 'string' || !workspace.startsWith('/'))
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'codingAgentResource: options.workspace must be an absolute path',
    );
  const base = { workspace, ...(options.home === undefined ? {} : { home: options.home }) };
  const file = (type: string, path: string | undefined, extra: Record<string, unknown> = {}): Resource => ({
    type,
    id: path === undefined ? '' : expandHome(path, options.home ?? '~'),
    properties: { ...base, ...extra },
  });
  return (toolName, input) => {
    switch (toolName) {
      case 'Bash':
        return { type: CODING_RESOURCE_TYPES.shell, id: text(input.command) ?? '', properties: base };
      case 'Read':
        return file(CODING_RESOURCE_TYPES.read, text(input.file_path));
      case 'Write':
      case 'Edit':
      case 'MultiEdit':
        return file(CODING_RESOURCE_TYPES.write, text(input.file_path));
      case 'NotebookEdit':
        return file(CODING_RESOURCE_TYPES.write, text(input.notebook_path));
      case 'Glob':
      case 'Grep':
        return file(CODING_RESOURCE_TYPES.search, text(input.path) ?? workspace, {
          ...(text(input.glob) === undefined ? {} : { glob: text(input.glob) }),
          ...(toolName === 'Glob' && text(input.pattern) !== undefined ? { glob: text(input.pattern) } : {}),
        });
      case 'WebFetch':
        return { type: CODING_RESOURCE_TYPES.fetch, id: text(input.url) ?? '', properties: base };
      case 'WebSearch':
        return {
          type: CODING_RESOURCE_TYPES.webSearch,
          id: text(input.query) ?? '',
          properties: {
            ...base,
            allowedDomains: texts(input.allowed_domains),
            blockedDomains: texts(input.blocked_domains),
          },
        };
      default:
        return undefined;
    }
  };
}
