import { z } from 'zod';
import { validateOptions } from './options.js';
import { lazySchema } from './schemas.js';
import { isValidScopeItem } from './scope.js';

/**
 * A registered agent: who owns it, what it is for, what it may call. Made with {@link defineAgent}.
 *
 * @example
 * ```ts
 * const support: AgentDefinition = defineAgent({ id: 'support-bot', owner: 'support-platform@example.com', purpose: 'Answer customer tickets' });
 * support.name; // 'support-bot' (defaults to the id)
 * support.scope; // ['*']
 * support.tools; // undefined: any tool
 * ```
 */
export interface AgentDefinition {
  /** The agent's name as used in `writ.task({ agent })` / `writ.delegate({ agent })`. */
  readonly id: string;
  /** Display name. @default id */
  readonly name: string;
  /** Who answers for the agent (a team, a person, an email). Recorded with every call it makes. */
  readonly owner: string;
  /** What the agent is for. Recorded with every call it makes. */
  readonly purpose: string;
  /** The only tools it may call; a call to any other is refused. @default any tool */
  readonly tools?: readonly string[] | undefined;
  /** The most scope it may ever hold; tasks and delegations are narrowed to it. @default ['*'] */
  readonly scope: readonly string[];
}

const definitionSchema = lazySchema(() =>
  z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be [A-Za-z0-9._-], at most 128 characters'),
    name: z.string().min(1).max(256).optional(),
    owner: z.string().min(1).max(256),
    purpose: z.string().min(1).max(2048),
    tools: z.array(z.string().min(1)).optional(),
    scope: z.array(z.string().refine(isValidScopeItem, 'invalid scope item')).optional(),
  }),
);

/**
 * Registers an agent for the agent registry (`createWrit({ agents })`): its owner and purpose travel into
 * every record of the calls it makes, its tool list and scope bound what it can do. With a registry, an
 * unregistered agent cannot start a task.
 *
 * @example
 * ```ts
 * const support = defineAgent({ id: 'support-bot', owner: 'support-platform@example.com', purpose: 'Answer customer tickets', tools: ['lookup_order', 'refund_order'], scope: ['orders:*'] });
 * const writ = createWrit({ agents: [support], ... });
 * ```
 */
export function defineAgent(definition: {
  id: string;
  name?: string;
  owner: string;
  purpose: string;
  tools?: readonly string[];
  scope?: readonly string[];
}): AgentDefinition {
  const d = validateOptions(definitionSchema, definition, 'defineAgent');
  return Object.freeze({
    id: d.id,
    name: d.name ?? d.id,
    owner: d.owner,
    purpose: d.purpose,
    tools: d.tools === undefined ? undefined : Object.freeze([...d.tools]),
    scope: Object.freeze([...new Set(d.scope ?? ['*'])]),
  });
}
