// The mapping of Claude Code's built-in tool inputs to resources. Inputs are typed with the SDK's own
// tool input types (`@anthropic-ai/claude-agent-sdk/sdk-tools`), so a renamed field fails typecheck.
import type {
  BashInput,
  FileEditInput,
  FileReadInput,
  FileWriteInput,
  GlobInput,
  GrepInput,
  NotebookEditInput,
  WebFetchInput,
  WebSearchInput,
} from '@anthropic-ai/claude-agent-sdk/sdk-tools';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { CODING_RESOURCE_TYPES, codingAgentResource } from './resource.js';

const workspace = '/home/dev/project';
const map = codingAgentResource({ workspace, home: '/home/dev' });
const as = (input: object) => input as Record<string, unknown>;

describe('codingAgentResource', () => {
  it('maps Bash to the command line', () => {
    const input: BashInput = { command: 'rm -rf build', description: 'clean' };
    expect(map('Bash', as(input))).toEqual({
      type: CODING_RESOURCE_TYPES.shell,
      id: 'rm -rf build',
      properties: { workspace, home: '/home/dev' },
    });
  });

  it('maps Read, Write, Edit, MultiEdit and NotebookEdit to the path (~ expanded)', () => {
    const read: FileReadInput = { file_path: '~/.ssh/id_rsa' };
    const write: FileWriteInput = { file_path: 'src/a.ts', content: 'x' };
    const edit: FileEditInput = { file_path: '/etc/hosts', old_string: 'a', new_string: 'b' };
    const notebook: NotebookEditInput = { notebook_path: 'n.ipynb', new_source: 'print(1)' };
    expect(map('Read', as(read))).toMatchObject({ type: 'coding.read', id: '/home/dev/.ssh/id_rsa' });
    expect(map('Write', as(write))).toMatchObject({ type: 'coding.write', id: 'src/a.ts' });
    expect(map('Edit', as(edit))).toMatchObject({ type: 'coding.write', id: '/etc/hosts' });
    // MultiEdit is not in sdk-tools.d.ts 0.3.x (the CLI maps it to Edit); older CLIs send it
    expect(map('MultiEdit', { file_path: 'b.ts', edits: [] })).toMatchObject({
      type: 'coding.write',
      id: 'b.ts',
    });
    expect(map('NotebookEdit', as(notebook))).toMatchObject({ type: 'coding.write', id: 'n.ipynb' });
  });

  it('maps Glob and Grep to the search root (default: the workspace) and the file pattern', () => {
    const glob: GlobInput = { pattern: '**/*.ts', path: 'src' };
    const grep: GrepInput = { pattern: 'API_KEY', glob: '.env*' };
    expect(map('Glob', as(glob))).toMatchObject({
      type: 'coding.search',
      id: 'src',
      properties: { glob: '**/*.ts' },
    });
    expect(map('Grep', as(grep))).toMatchObject({
      type: 'coding.search',
      id: workspace,
      properties: { glob: '.env*' },
    });
  });

  it('maps WebFetch to the URL and WebSearch to the query and domains', () => {
    const fetch: WebFetchInput = { url: 'https://nodejs.org/api', prompt: 'summarize' };
    const search: WebSearchInput = { query: 'cedar', allowed_domains: ['cedarpolicy.com'] };
    expect(map('WebFetch', as(fetch))).toMatchObject({ type: 'coding.fetch', id: 'https://nodejs.org/api' });
    expect(map('WebSearch', as(search))).toMatchObject({
      type: 'coding.websearch',
      id: 'cedar',
      properties: { allowedDomains: ['cedarpolicy.com'], blockedDomains: [] },
    });
  });

  it('leaves other tools alone and maps a missing field to an empty id (denied as uncertain)', () => {
    expect(map('Task', { prompt: 'x' })).toBeUndefined();
    expect(map('mcp__orders__refund', { id: 1 })).toBeUndefined();
    expect(map('Write', { content: 'x' })).toMatchObject({ type: 'coding.write', id: '' });
    expect(map('Bash', { command: 42 })).toMatchObject({ type: 'coding.shell', id: '' });
  });

  it('refuses a relative workspace, typed', () => {
    expect(() => codingAgentResource({ workspace: 'project' })).toThrow(WritError);
  });
});
