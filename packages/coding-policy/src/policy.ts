import type { AuthorizationRequest, Decision } from '@writ/core';
import { functionSchema, validateOptions } from '@writ/core/internal';
import type { CallOptions, PolicyEngine } from '@writ/core/plugin';
import { type CedarEngine, createCedarEngine } from '@writ/policy';
import { z } from 'zod';
import { type CodingFacts, codingFacts } from './facts.js';
import { codingPolicyPaths, codingPolicySources } from './policy-sources.js';

/**
 * Options of {@link codingAgentPolicy}.
 *
 * @example
 * ```ts
 * const options: CodingAgentPolicyOptions = {
 *   workspace: '/home/dev/project',
 *   allowedHosts: ['github.com', 'docs.internal.example.com'],
 * };
 * ```
 */
export interface CodingAgentPolicyOptions {
  /** The agent's workspace (absolute): writes outside it are denied. */
  readonly workspace: string;
  /** What `~` means. @default os.homedir() */
  readonly home?: string | undefined;
  /** Hosts WebFetch may reach. @default CODING_POLICY_DEFAULTS.allowedHosts */
  readonly allowedHosts?: readonly string[] | undefined;
  /** Programs allowed inside the workspace. @default CODING_POLICY_DEFAULTS.trustedPrograms */
  readonly trustedPrograms?: readonly string[] | undefined;
  /**
   * The engine for every other tool (MCP tools, your own tools, sub-agents); `false` denies them.
   * @default Writ's shipped Cedar policy set (`createCedarEngine()`)
   */
  readonly otherTools?: PolicyEngine | false | undefined;
  /** The engine name in decisions. @default 'coding-agent' */
  readonly name?: string | undefined;
}

/**
 * The pack's policy engine: decides coding tool calls with the pack, others with `otherTools`.
 *
 * @example
 * ```ts
 * const policy: CodingAgentPolicy = await codingAgentPolicy({ workspace: process.cwd() });
 * console.log(policy.policyIds.join('\n'));
 * policy.close();
 * ```
 */
export interface CodingAgentPolicy extends PolicyEngine {
  /** Ids of the pack's policies (`coding-shell.cedar#shell-remote-code`…). */
  readonly policyIds: readonly string[];
  /** Stops the engines it created. */
  close(): void;
}

const optionsSchema = z.strictObject({
  workspace: z.string().startsWith('/', 'must be an absolute path'),
  home: z.string().startsWith('/', 'must be an absolute path').optional(),
  allowedHosts: z.array(z.string()).optional(),
  trustedPrograms: z.array(z.string().min(1)).optional(),
  otherTools: z.union([z.literal(false), z.object({ decide: functionSchema() }).loose()]).optional(),
  name: z.string().min(1).optional(),
});

/**
 * The Cedar policy pack for coding agents (Claude Code's built-in tools), as a policy engine: the pack's
 * policies (`coding-files.cedar`, `coding-shell.cedar`, `coding-network.cedar`) against the Writ schema
 * extended with `CodingFacts`, with the facts of each call computed when it is decided (the command line
 * parsed, paths resolved with symlinks followed, hosts taken from URLs) and written into the request's
 * context, so the decision record shows what was judged. Calls whose resource is not one of
 * {@link codingAgentResource}'s go to `otherTools`. Policies and defaults:
 * docs/guides/coding-agent-policy.md.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const workspace = process.cwd();
 * const policy = await codingAgentPolicy({ workspace, allowedHosts: ['github.com', 'nodejs.org'] });
 * const writ = createWrit({ policy });
 * // with the Claude Agent SDK adapter, map built-in tool inputs with codingAgentResource({ workspace })
 * ```
 */
export async function codingAgentPolicy(options: CodingAgentPolicyOptions): Promise<CodingAgentPolicy> {
  const o = validateOptions(optionsSchema, options, 'codingAgentPolicy') as CodingAgentPolicyOptions;
  const judged = new WeakMap<AuthorizationRequest, CodingFacts>();
  const where = { workspace: o.workspace, home: o.home };
  const pack: CedarEngine = await createCedarEngine({
    sources: codingPolicySources({ allowedHosts: o.allowedHosts, trustedPrograms: o.trustedPrograms }),
    schema: codingPolicyPaths().schema,
    name: o.name ?? 'coding-agent',
    extendContext: (request) => {
      const facts = judged.get(request) ?? codingFacts(request.resource, where);
      return facts === undefined ? {} : { coding: { ...facts } };
    },
  });
  const other: PolicyEngine | undefined =
    o.otherTools === false ? undefined : (o.otherTools ?? (await createCedarEngine()));
  const created = o.otherTools === undefined ? (other as CedarEngine) : undefined;
  return {
    name: pack.name,
    // the facts read the file system (symlinks): the same request may be judged differently later
    deterministic: false,
    get policyIds() {
      return pack.policyIds;
    },
    close() {
      pack.close();
      created?.close();
    },
    async decide(request: AuthorizationRequest, callOptions: CallOptions): Promise<Decision> {
      const facts = codingFacts(request.resource, where);
      if (facts === undefined) return (other ?? pack).decide(request, callOptions);
      const withFacts: AuthorizationRequest = { ...request, context: { ...request.context, coding: facts } };
      judged.set(withFacts, facts);
      return pack.decide(withFacts, callOptions);
    },
  };
}
