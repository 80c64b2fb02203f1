import { type AuthorizationRequest, type Decision, WritError } from '@writ/core';
import { clockSchema, functionSchema, uuidv7, validateOptions } from '@writ/core/internal';
import {
  type CallOptions,
  canonicalJson,
  checkDecision,
  type Obligation,
  type PolicyEngine,
  sha256Hex,
} from '@writ/core/plugin';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { assertEngine } from './settle-decision.js';

/**
 * Defaults of {@link cacheDecisions}.
 *
 * @example
 * ```ts
 * cacheDecisions(cedarEngine, { ttlMs: DECISION_CACHE_DEFAULTS.ttlMs * 5 });
 * ```
 */
export const DECISION_CACHE_DEFAULTS = Object.freeze({
  /** How long a decision is served from the cache, milliseconds. @default 1000 */
  ttlMs: 1_000,
  /** Most decisions kept; the least recently used is evicted first. @default 10000 */
  maxEntries: 10_000,
});

/**
 * The `context` fields left out of the cache key: correlation ids that differ on every call or task and
 * carry no authority. Everything else in the request is in the key. Policies behind
 * {@link cacheDecisions} must not read these fields.
 *
 * @internal
 * @example
 * ```ts
 * DECISION_CACHE_IGNORED_CONTEXT; // ['toolCallId', 'taskId', 'correlationId']
 * ```
 */
export const DECISION_CACHE_IGNORED_CONTEXT: readonly string[] = Object.freeze([
  'toolCallId',
  'taskId',
  'correlationId',
]);

/**
 * Options of {@link cacheDecisions}.
 *
 * @example
 * ```ts
 * const options: CacheDecisionsOptions = { ttlMs: 5_000, maxEntries: 1_000 };
 * ```
 */
export interface CacheDecisionsOptions {
  /** @default DECISION_CACHE_DEFAULTS.ttlMs */
  ttlMs?: number | undefined;
  /**
   * The bookkeeping for this many entries (a few dozen bytes each) is reserved when the cache is made.
   * @default DECISION_CACHE_DEFAULTS.maxEntries
   */
  maxEntries?: number | undefined;
  /** Epoch milliseconds. @default Date.now */
  clock?: (() => number) | undefined;
  /** Id of each decision served from the cache (and of an engine answer that carries none). @default uuidv7 */
  generateId?: (() => string) | undefined;
}

/**
 * A policy engine answering repeated requests from a cache.
 *
 * @example
 * ```ts
 * const cached: CachedPolicyEngine = cacheDecisions(cedarEngine);
 * await reloadPolicies();
 * cached.clear();
 * ```
 */
export interface CachedPolicyEngine extends PolicyEngine {
  readonly deterministic: true;
  /** Number of decisions held (expired ones count until they are next looked up or evicted). */
  readonly size: number;
  /** Forgets every cached decision, including answers still in flight. Call it after changing the policies. */
  clear(): void;
}

const optionsSchema = z.strictObject({
  ttlMs: z.number().int().positive().max(86_400_000).optional(),
  maxEntries: z.number().int().positive().max(10_000_000).optional(),
  clock: clockSchema.optional(),
  generateId: functionSchema<() => string>().optional(),
});

/** What is kept of a decision: no request, no id of the call it was made for. */
interface Entry {
  readonly effect: 'allow' | 'deny';
  readonly policyIds: readonly string[];
  readonly reasons: readonly string[];
  readonly decisionId: string;
  readonly engine: string;
  readonly obligations?: readonly Obligation[] | undefined;
  readonly policySetDigest?: string | undefined;
  readonly expiresAt: number;
}

/** An engine that says which version of its policies it holds (the Cedar engine's `policySetDigest`). */
type VersionedEngine = PolicyEngine & { readonly policySetDigest?: unknown };

/** The engine's current policy-set digest, when it exposes one. */
function versionOf(engine: VersionedEngine): string | undefined {
  const version = engine.policySetDigest;
  return typeof version === 'string' ? version : undefined;
}

/**
 * The cache key of a request: `sha256:<hex>` of its RFC 8785 canonical JSON without the context fields
 * in {@link DECISION_CACHE_IGNORED_CONTEXT}, with the engine's policy-set digest when it has one (so a
 * reload that changes the policies changes every key); `undefined` when the request has no JSON form
 * (such requests are never cached). Subject (with requester and chain), action, resource and every other context field,
 * `argsDigest` included, are in the key.
 *
 * @internal
 * @example
 * ```ts
 * decisionCacheKey(request) === decisionCacheKey({ ...request, context: { ...request.context, toolCallId: 'other' } }); // true
 * ```
 */
export function decisionCacheKey(
  request: AuthorizationRequest,
  policySetDigest?: string,
): string | undefined {
  const context: Record<string, unknown> = { ...request.context };
  for (const field of DECISION_CACHE_IGNORED_CONTEXT) delete context[field];
  try {
    const keyed = { ...request, context };
    return sha256Hex(
      canonicalJson(policySetDigest === undefined ? keyed : { request: keyed, policySetDigest }),
    );
  } catch {
    return undefined;
  }
}

/**
 * The entry to keep for a decision (checked by `checkDecision`), or `undefined` when it must not be
 * cached: `approval_required`, any `errors`, obligations without a structured-clone form.
 */
function toEntry(decision: Decision, expiresAt: number): Entry | undefined {
  const { effect, policyIds, reasons, decisionId, engine, obligations, errors, policySetDigest } = decision;
  if (effect !== 'allow' && effect !== 'deny') return undefined;
  if (errors !== undefined && errors.length > 0) return undefined;
  let kept: Obligation[] | undefined;
  try {
    kept = obligations === undefined ? undefined : structuredClone([...obligations]);
  } catch {
    return undefined;
  }
  return Object.freeze({
    effect,
    policyIds: Object.freeze([...policyIds]),
    reasons: Object.freeze([...reasons]),
    decisionId,
    engine,
    ...(kept === undefined ? {} : { obligations: kept }),
    ...(policySetDigest === undefined ? {} : { policySetDigest }),
    expiresAt,
  });
}

/**
 * Serves repeated decisions of a deterministic engine from memory. Opt-in: wrap the engine.
 *
 * - Only engines declaring `deterministic: true` are accepted (`WRIT_OPTIONS_INVALID` otherwise): a
 *   remote PDP (OPA, AuthZEN) can change its answer at any time.
 * - Key: the SHA-256 of the RFC 8785 canonical JSON of the whole request minus `context.toolCallId`,
 *   `context.taskId` and `context.correlationId` (correlation ids, which policies behind the cache must
 *   not read); a request differing in anything else (subject, chain, requester, action, resource, scope,
 *   intent, environment, risk, `argsDigest`, middleware-added context) is a miss.
 * - The engine's answers are checked as the pipeline checks them (`checkDecision` of
 *   `@writ/core/plugin`): a malformed answer throws `WRIT_PDP_UNAVAILABLE`, an answer carrying `errors` is
 *   a `deny` (fail closed).
 * - Only `allow` and `deny` without `errors` are cached; `approval_required`, decisions with errors and
 *   throws never are. Entries live `ttlMs`; past `maxEntries` the least recently used goes.
 * - A hit is a copy of the cached decision with a fresh `decisionId`, the reason
 *   `cached:<original decisionId>` appended, and the current request as `evaluatedContext`. A miss returns
 *   the engine's decision as checked.
 * - An engine exposing `policySetDigest` (the Cedar engine) has it in every key: after a reload that
 *   changes its policies nothing cached before is served. For other engines, `clear()` after changing
 *   their policies. Concurrent misses for one key each ask the engine.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const policy = cacheDecisions(cedarEngine, { ttlMs: 5_000 });
 * const writ = createWrit({ policy, audit });
 * ```
 */
export function cacheDecisions(
  engine: PolicyEngine,
  options: CacheDecisionsOptions = {},
): CachedPolicyEngine {
  assertEngine(engine, 'cacheDecisions', 'engine');
  const o = validateOptions(optionsSchema, options, 'cacheDecisions');
  if (engine.deterministic !== true) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `cacheDecisions: engine "${engine.name}" does not declare deterministic: true, so its decisions cannot be cached`,
      { details: { engine: engine.name } },
    );
  }
  const ttlMs = o.ttlMs ?? DECISION_CACHE_DEFAULTS.ttlMs;
  const maxEntries = o.maxEntries ?? DECISION_CACHE_DEFAULTS.maxEntries;
  const clock = o.clock ?? Date.now;
  const generateId = o.generateId ?? (() => uuidv7());
  // lru-cache keeps the recency order and the bound; expiry stays ours, checked on lookup against
  // `clock` (lru-cache's own TTL reads performance.now(), keeps an entry until its age is past the TTL,
  // not at it, and treats a start time of 0 as "no TTL").
  const entries = new LRUCache<string, Entry>({ max: maxEntries });
  let generation = 0;

  const lookup = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (clock() >= entry.expiresAt) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  const cached: CachedPolicyEngine = {
    name: engine.name,
    deterministic: true,
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
      generation++;
    },
    async decide(request: AuthorizationRequest, callOptions: CallOptions): Promise<Decision> {
      if (callOptions?.signal?.aborted === true) {
        throw new WritError('WRIT_ABORTED', `policy engine "${engine.name}": the caller gave up`, {
          cause: callOptions.signal.reason,
        });
      }
      const decideChecked = async () =>
        checkDecision(await engine.decide(request, callOptions), {
          engine: engine.name,
          request,
          generateId,
        });
      const version = versionOf(engine);
      const key = decisionCacheKey(request, version);
      if (key === undefined) return decideChecked();
      const hit = lookup(key);
      if (hit !== undefined) {
        return {
          effect: hit.effect,
          policyIds: [...hit.policyIds],
          reasons: [...hit.reasons, `cached:${hit.decisionId}`],
          decisionId: generateId(),
          engine: hit.engine,
          evaluatedContext: request,
          ...(hit.obligations === undefined ? {} : { obligations: structuredClone(hit.obligations) }),
          ...(hit.policySetDigest === undefined ? {} : { policySetDigest: hit.policySetDigest }),
        };
      }
      const started = generation;
      const decision = await decideChecked();
      const entry = toEntry(decision, clock() + ttlMs);
      // an answer from another policy set than the key's (a reload while deciding) is not kept under it
      const sameSet = version === undefined || decision.policySetDigest === version;
      if (entry !== undefined && started === generation && sameSet) entries.set(key, entry);
      return decision;
    },
  };
  return Object.freeze(cached);
}
