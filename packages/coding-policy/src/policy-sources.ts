import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WritError } from '@writ/core';

/**
 * Defaults of the pack: the hosts WebFetch may reach and the programs `shell-dev-tools` trusts inside
 * the workspace.
 *
 * @example
 * ```ts
 * const allowedHosts = [...CODING_POLICY_DEFAULTS.allowedHosts, 'docs.internal.example.com'];
 * const policy = await codingAgentPolicy({ workspace: process.cwd(), allowedHosts });
 * ```
 */
export const CODING_POLICY_DEFAULTS = Object.freeze({
  /** @default documentation and package hosts a coding agent commonly reads */
  allowedHosts: Object.freeze([
    'developer.mozilla.org',
    'docs.anthropic.com',
    'docs.github.com',
    'github.com',
    'nodejs.org',
    'registry.npmjs.org',
    'www.npmjs.com',
  ]),
  /** @default build, test, file and read-only tools */
  trustedPrograms: Object.freeze([
    'git',
    'node',
    'npm',
    'pnpm',
    'yarn',
    'bun',
    'tsc',
    'vitest',
    'jest',
    'mocha',
    'eslint',
    'prettier',
    'biome',
    'make',
    'cargo',
    'go',
    'rustc',
    'python',
    'python3',
    'pytest',
    'mkdir',
    'touch',
    'cp',
    'mv',
    'rm',
    'ln',
    'tee',
    'patch',
    'tar',
    'unzip',
    'gzip',
    'gunzip',
    'zip',
    'cd',
    'ls',
    'cat',
    'head',
    'tail',
    'wc',
    'grep',
    'rg',
    'find',
    'pwd',
    'echo',
    'printf',
    'which',
    'diff',
    'sort',
    'uniq',
    'cut',
    'tr',
    'jq',
    'true',
    'false',
    'test',
    '[',
    'sleep',
    'basename',
    'dirname',
    'realpath',
    'stat',
    'file',
    'tree',
    'du',
    'date',
  ]),
});

/**
 * The shipped pack's file names (in `policies/`).
 *
 * @example
 * ```ts
 * const shell = codingPolicySources()[CODING_POLICY_FILES.shell]; // the text of coding-shell.cedar
 * ```
 */
export const CODING_POLICY_FILES = Object.freeze({
  files: 'coding-files.cedar',
  shell: 'coding-shell.cedar',
  network: 'coding-network.cedar',
  schema: 'coding-agent.cedarschema',
  cases: 'coding-agent.cases.json',
});

/**
 * Where the pack's files are: the policies directory (its `.cedar` files), the schema (the Writ schema
 * plus `CodingFacts`) and the `writ policy test` cases.
 *
 * @example
 * ```ts
 * import { copyFile } from 'node:fs/promises';
 * const { dir } = codingPolicyPaths();
 * await copyFile(`${dir}/coding-shell.cedar`, './policies/coding-shell.cedar'); // then edit it
 * ```
 */
export function codingPolicyPaths(): { dir: string; schema: string; cases: string } {
  for (const up of ['../policies/', '../../policies/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(`${dir}${CODING_POLICY_FILES.schema}`))
      return {
        dir,
        schema: `${dir}${CODING_POLICY_FILES.schema}`,
        cases: `${dir}${CODING_POLICY_FILES.cases}`,
      };
  }
  throw new WritError(
    'WRIT_INTERNAL',
    '@writ/coding-policy: the shipped policies/ folder is missing from the installation',
  );
}

const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const PROGRAM = /^[A-Za-z0-9_.+[-]+$/;

/**
 * A Cedar set literal of strings, wrapped at 100 columns, each line indented by `indent` + 2 spaces.
 *
 * @example
 * ```ts
 * cedarStringSet(['a', 'b'], '  '); // '[\n    "a", "b"\n  ]'
 * ```
 */
export function cedarStringSet(items: readonly string[], indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items.map((i) => JSON.stringify(i))) {
    const next = line === '' ? `${indent}  ${item}` : `${line}, ${item}`;
    if (next.length > 100 && line !== '') {
      lines.push(`${line},`);
      line = `${indent}  ${item}`;
    } else line = next;
  }
  if (line !== '') lines.push(line);
  return `[\n${lines.join('\n')}\n${indent}]`;
}

/**
 * Options of {@link codingPolicySources}.
 *
 * @example
 * ```ts
 * const options: CodingPolicySourcesOptions = { allowedHosts: ['github.com'] };
 * ```
 */
export interface CodingPolicySourcesOptions {
  /** Hosts WebFetch may reach (exact names). @default CODING_POLICY_DEFAULTS.allowedHosts */
  readonly allowedHosts?: readonly string[] | undefined;
  /** Programs `shell-dev-tools` allows inside the workspace. @default CODING_POLICY_DEFAULTS.trustedPrograms */
  readonly trustedPrograms?: readonly string[] | undefined;
}

/**
 * The pack's Cedar policy files as text (`{ 'coding-shell.cedar': '…', … }`), with your host allowlist
 * and trusted programs written in; with no options, exactly the shipped files. Hand them to
 * `createCedarEngine({ sources })`, or write them out to edit.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * for (const [name, text] of Object.entries(codingPolicySources({ allowedHosts: ['github.com'] })))
 *   await writeFile(`./policies/${name}`, text);
 * ```
 */
export function codingPolicySources(options: CodingPolicySourcesOptions = {}): Record<string, string> {
  const hosts = [
    ...new Set((options.allowedHosts ?? CODING_POLICY_DEFAULTS.allowedHosts).map((h) => h.toLowerCase())),
  ];
  const programs = [...new Set(options.trustedPrograms ?? CODING_POLICY_DEFAULTS.trustedPrograms)];
  const badHost = hosts.find((h) => !HOST.test(h));
  if (badHost !== undefined)
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `codingAgentPolicy: options.allowedHosts: ${JSON.stringify(badHost)} is not a host name`,
    );
  const badProgram = programs.find((p) => !PROGRAM.test(p));
  if (badProgram !== undefined)
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `codingAgentPolicy: options.trustedPrograms: ${JSON.stringify(badProgram)} is not a program name`,
    );
  const { dir } = codingPolicyPaths();
  const read = (name: string) => readFileSync(`${dir}${name}`, 'utf8');
  const swap = (text: string, from: readonly string[], to: readonly string[], file: string) => {
    let count = 0;
    const out = text.replace(/^( *)\[\n[^\]]*\n\1\]/gm, (literal, indent: string) => {
      if (literal !== `${indent}${cedarStringSet(from, indent)}`) return literal;
      count++;
      return `${indent}${cedarStringSet(to, indent)}`;
    });
    if (count === 0)
      throw new WritError('WRIT_INTERNAL', `@writ/coding-policy: ${file} has no default list to replace`);
    return out;
  };
  const network = read(CODING_POLICY_FILES.network);
  return {
    [CODING_POLICY_FILES.files]: read(CODING_POLICY_FILES.files),
    [CODING_POLICY_FILES.shell]: swap(
      read(CODING_POLICY_FILES.shell),
      CODING_POLICY_DEFAULTS.trustedPrograms,
      programs,
      CODING_POLICY_FILES.shell,
    ),
    [CODING_POLICY_FILES.network]:
      hosts.length === 0
        ? network
            .replace(/@id\("fetch-allowed-hosts"\)[\s\S]*?\n};\n\n/, '')
            .replace(/\n *!\(\n *\[\n[^\]]*\n *\]\.containsAll\(context\.coding\.hosts\)\n *\)/, '\n  true')
        : swap(network, CODING_POLICY_DEFAULTS.allowedHosts, hosts, CODING_POLICY_FILES.network),
  };
}
