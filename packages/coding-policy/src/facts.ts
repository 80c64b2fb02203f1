import { homedir } from 'node:os';
import type { AuthorizationRequest, Resource } from '@writ/core';
import { globMayMatchSecret, resolveWorkspacePath } from './paths.js';
import { CODING_RESOURCE_TYPES } from './resource.js';
import { shellFacts } from './shell/shell-facts.js';

/**
 * The `coding` context entry the pack's Cedar policies judge (`CodingFacts` in
 * `policies/coding-agent.cedarschema`), computed when the policy decides from the call's resource.
 *
 * @example
 * ```ts
 * const facts = codingFacts({ type: 'coding.shell', id: 'sudo rm -rf /' }, { workspace: '/repo' });
 * facts?.effects; // ['delete-recursive', 'privilege']
 * ```
 */
export interface CodingFacts {
  /** `shell`, `read`, `write`, `search`, `fetch` or `websearch`. */
  readonly kind: string;
  readonly uncertain: boolean;
  readonly uncertainty: readonly string[];
  readonly programs: readonly string[];
  readonly effects: readonly string[];
  readonly readOnly: boolean;
  readonly paths: readonly string[];
  readonly outsideWorkspace: boolean;
  readonly writesOutsideWorkspace: boolean;
  readonly secrets: boolean;
  readonly hosts: readonly string[];
}

/**
 * Options of {@link codingFacts} and {@link codingAgentContext}.
 *
 * @example
 * ```ts
 * const options: CodingFactsOptions = { workspace: '/home/dev/project' };
 * ```
 */
export interface CodingFactsOptions {
  /** The workspace; when absent, the resource's `properties.workspace` (as written in `writ policy test` cases). */
  readonly workspace?: string | undefined;
  /** What `~` means. @default the resource's `properties.home`, else os.homedir() */
  readonly home?: string | undefined;
}

const KINDS: ReadonlyMap<string, string> = new Map(
  Object.values(CODING_RESOURCE_TYPES).map((t) => [t, t.slice('coding.'.length)]),
);

const empty = (kind: string): CodingFacts => ({
  kind,
  uncertain: false,
  uncertainty: [],
  programs: [],
  effects: [],
  readOnly: kind === 'read' || kind === 'search' || kind === 'fetch' || kind === 'websearch',
  paths: [],
  outsideWorkspace: false,
  writesOutsideWorkspace: false,
  secrets: false,
  hosts: [],
});

const finish = (facts: Omit<CodingFacts, 'uncertain'> & { uncertain?: boolean }): CodingFacts => ({
  ...facts,
  uncertain: facts.uncertainty.length > 0,
});

/**
 * Computes the facts of a pack resource (types in {@link CODING_RESOURCE_TYPES}); `undefined` for
 * any other resource. Paths are resolved against the workspace with symlinks followed; a command line
 * is parsed ({@link shellFacts}); a URL gives its host. What cannot be known makes `uncertain` true.
 *
 * @example
 * ```ts
 * codingFacts({ type: 'coding.write', id: '/etc/hosts' }, { workspace: '/repo' })?.writesOutsideWorkspace; // true
 * ```
 */
export function codingFacts(resource: Resource, options: CodingFactsOptions = {}): CodingFacts | undefined {
  const kind = KINDS.get(resource.type);
  if (kind === undefined) return undefined;
  const props = resource.properties ?? {};
  const workspace = options.workspace ?? (typeof props.workspace === 'string' ? props.workspace : undefined);
  const home = options.home ?? (typeof props.home === 'string' ? props.home : homedir());
  const facts = empty(kind);
  if (workspace === undefined || !workspace.startsWith('/'))
    return finish({ ...facts, uncertainty: ['no absolute workspace to judge paths against'] });
  const where = { workspace, home };
  const id = resource.id;
  if (kind === 'shell') {
    if (id.trim() === '') return finish({ ...facts, uncertainty: ['empty command'] });
    return finish({ ...facts, ...shellFacts(id, where) });
  }
  if (kind === 'fetch') {
    let host: string | undefined;
    try {
      const url = new URL(id);
      if (url.protocol === 'https:' || url.protocol === 'http:') host = url.hostname.toLowerCase();
    } catch {
      host = undefined;
    }
    return finish(
      host === undefined ? { ...facts, uncertainty: ['not an http(s) URL'] } : { ...facts, hosts: [host] },
    );
  }
  if (kind === 'websearch') {
    const domains = Array.isArray(props.allowedDomains)
      ? props.allowedDomains.filter((d): d is string => typeof d === 'string')
      : [];
    return finish({ ...facts, hosts: domains.map((d) => d.toLowerCase()).sort() });
  }
  // read / write / search: one path
  if (id === '') return finish({ ...facts, uncertainty: ['no path'] });
  if (/^~[^/]/.test(id)) return finish({ ...facts, uncertainty: [`${id} names another user's home`] });
  const p = resolveWorkspacePath(id, where);
  const glob = typeof props.glob === 'string' ? props.glob : undefined;
  const secrets = p.secret || (glob !== undefined && globMayMatchSecret(glob));
  return finish({
    ...facts,
    paths: [p.path],
    outsideWorkspace: !p.inside,
    writesOutsideWorkspace: kind === 'write' && !p.inside,
    secrets,
    readOnly: kind !== 'write',
  });
}

/**
 * A Cedar context extension (`extendContext` of `createCedarEngine`) adding the `coding` facts for the
 * pack's resources. Facts are computed from the resource when the policy decides, so the decision
 * record's context shows what was judged.
 *
 * @example
 * ```ts
 * import { createCedarEngine } from '@writ/policy';
 * const policy = await createCedarEngine({
 *   policies: codingPolicyPaths().dir,
 *   schema: codingPolicyPaths().schema,
 *   extendContext: codingAgentContext({ workspace: process.cwd() }),
 * });
 * ```
 */
export function codingAgentContext(
  options: CodingFactsOptions = {},
): (request: AuthorizationRequest) => Record<string, unknown> {
  return (request) => {
    const facts = codingFacts(request.resource, options);
    return facts === undefined ? {} : { coding: cedarFacts(facts) };
  };
}

/** Facts as Cedar JSON (sets as arrays; the schema declares them `Set<String>`). */
const cedarFacts = (facts: CodingFacts): Record<string, unknown> => ({
  ...facts,
  uncertainty: [...facts.uncertainty],
});

/**
 * The context extension `writ policy test --extend-context @writ/coding-policy` loads: the workspace
 * (and `~`) come from each case's `resource.properties`.
 *
 * @example
 * ```sh
 * writ policy test cases.json --policies node_modules/@writ/coding-policy/policies \
 *   --schema node_modules/@writ/coding-policy/policies/coding-agent.cedarschema --extend-context @writ/coding-policy
 * ```
 */
export const extendContext: (request: AuthorizationRequest) => Record<string, unknown> = codingAgentContext();
