import { existsSync, type FSWatcher, watch } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type AuthorizationRequest, type Decision, WritError } from '@writ/core';
import { functionSchema, uuidv7, validateOptions } from '@writ/core/internal';
import type { CallOptions, PolicyEngine } from '@writ/core/plugin';
import { z } from 'zod';
import { cedarCall, cedarDecision, decideWithCedar, failedAnswer } from './cedar-decision.js';
import type { CedarContextExtension } from './cedar-model.js';
import { autoCedarWorkers, CedarPool } from './cedar-pool.js';
import { type CedarPolicySet, loadCedarPolicySet } from './policy-set.js';

/**
 * Where the shipped default policy set and schema live.
 *
 * @example
 * ```ts
 * import { copyFile, mkdir } from 'node:fs/promises';
 *
 * // start your own policy set from the shipped one, then edit ./policies/default.cedar
 * await mkdir('./policies', { recursive: true });
 * await copyFile(defaultPolicyPaths().policies, './policies/default.cedar');
 * const policy = await createCedarEngine({ policies: './policies', watch: true });
 * ```
 */
export function defaultPolicyPaths(): { policies: string; schema: string } {
  for (const up of ['../policies/', '../../policies/', '../../../policies/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(`${dir}writ.cedarschema`))
      return { policies: `${dir}default.cedar`, schema: `${dir}writ.cedarschema` };
  }
  throw new WritError(
    'WRIT_INTERNAL',
    '@writ/policy: the shipped policies/ folder is missing from the installation',
  );
}

/**
 * Defaults of {@link createCedarEngine}: the engine name in decisions and the reload debounce.
 *
 * @example
 * ```ts
 * const staging = await createCedarEngine({ name: `${CEDAR_ENGINE_DEFAULTS.name}-staging` });
 * ```
 */
export const CEDAR_ENGINE_DEFAULTS = Object.freeze({
  /** @default 'cedar' */
  name: 'cedar',
  /** Quiet period before a changed file is reloaded, ms. @default 100 */
  reloadDebounceMs: 100,
});

/**
 * Options of {@link createCedarEngine}: where the policies and schema come from, hot reload, and
 * context extensions.
 *
 * @example
 * ```ts
 * const options: CreateCedarEngineOptions = {
 *   policies: ['./policies/default.cedar', './policies/refunds.cedar'],
 *   watch: true,
 *   onReload: (event) => {
 *     if (!event.ok) console.error(`policies not reloaded: ${event.error.message}`);
 *   },
 * };
 * const policy = await createCedarEngine(options);
 * ```
 */
export interface CreateCedarEngineOptions {
  /** `.cedar` files and/or directories. @default the default policy set shipped with `@writ/policy` */
  policies?: string | readonly string[];
  /** Inline policy files (`{ 'agents.cedar': text }`), instead of `policies`. */
  sources?: Readonly<Record<string, string>>;
  /** `.cedarschema` file; `false` runs without schema validation (not recommended). @default the Writ schema */
  schema?: string | false;
  /** Inline schema text, instead of `schema`. */
  schemaText?: string;
  /** Reload when a policy or schema file changes; a bad change keeps the current set. @default false */
  watch?: boolean;
  /** Extra context entries for your schema extensions. */
  extendContext?: CedarContextExtension;
  /** Told about every reload attempt. */
  onReload?: (event: { ok: true; policyIds: readonly string[] } | { ok: false; error: WritError }) => void;
  /** @default 'cedar' */
  name?: string;
  /** Decision ids. @default UUIDv7 */
  generateId?: () => string;
  /**
   * Worker threads evaluating Cedar off the application's thread, each with its own cedar-wasm
   * instance and the preparsed set: `'auto'` starts one per core (`os.availableParallelism()`), none on
   * one core. With 0 every decision runs in the calling thread (lowest latency for one call at a time);
   * with workers, many calls in flight use every core. Decisions are identical either way.
   * @default 0
   */
  workers?: number | 'auto';
}

/**
 * The embedded Cedar engine: a `PolicyEngine` with its loaded policy ids, a reload and a close.
 *
 * @example
 * ```ts
 * const policy: CedarEngine = await createCedarEngine({ policies: './policies' });
 * console.log(`generation ${policy.generation}: ${policy.policyIds.join(', ')}`);
 * process.on('SIGHUP', () => void policy.reload().catch((error) => console.error(error.message)));
 * ```
 */
export interface CedarEngine extends PolicyEngine {
  /** Ids of the loaded policies (`<file>#<@id>`). */
  readonly policyIds: readonly string[];
  /** Incremented by every successful (re)load. */
  readonly generation: number;
  /**
   * `sha256:<hex>` of the loaded set (policies by id, and the schema), also on every decision as
   * `policySetDigest`: which version of the policies decided. A reload that changes anything changes it.
   */
  readonly policySetDigest: string;
  /** Re-reads and validates every file; on failure throws `WRIT_POLICY_INVALID` and keeps the current set. */
  reload(): Promise<void>;
  /** Stops watching files. */
  close(): void;
}

const optionsSchema = z.strictObject({
  policies: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  sources: z.record(z.string().min(1), z.string()).optional(),
  schema: z.union([z.string().min(1), z.literal(false)]).optional(),
  schemaText: z.string().min(1).optional(),
  watch: z.boolean().optional(),
  extendContext: functionSchema<CedarContextExtension>().optional(),
  onReload: functionSchema<NonNullable<CreateCedarEngineOptions['onReload']>>().optional(),
  name: z.string().min(1).optional(),
  generateId: functionSchema<() => string>().optional(),
  workers: z.union([z.number().int().min(0).max(256), z.literal('auto')]).optional(),
});

let instances = 0;

/**
 * Cedar (via `@cedar-policy/cedar-wasm`), embedded: policies from `.cedar` files keyed by stable ids
 * (`<file>#<@id>`), validated strictly against the schema at load (a load with validation errors fails
 * with file, line and column, even though Cedar reports success), preparsed once, evaluated with
 * `validateRequest: true`. **Any evaluation error or exception is a deny**, with the errors recorded.
 * A permit annotated `@approval("required")` makes the answer `approval_required`; `@reason("…")` is
 * reported as the reason. With `watch: true` files are hot-reloaded with an atomic swap; a bad file keeps
 * the previous set.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const policy = await createCedarEngine();                                  // shipped defaults
 * const custom = await createCedarEngine({ policies: './policies', watch: true }); // yours
 * const writ = createWrit({ policy, audit });
 * ```
 */
export async function createCedarEngine(options: CreateCedarEngineOptions = {}): Promise<CedarEngine> {
  const o = validateOptions(optionsSchema, options, 'createCedarEngine') as CreateCedarEngineOptions;
  if (o.policies !== undefined && o.sources !== undefined) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'createCedarEngine: give either options.policies or options.sources',
    );
  }
  const defaults = o.policies === undefined && o.sources === undefined ? defaultPolicyPaths() : undefined;
  const paths = defaults
    ? [defaults.policies]
    : o.policies === undefined
      ? []
      : typeof o.policies === 'string'
        ? [o.policies]
        : [...o.policies];
  const schemaPath =
    o.schemaText !== undefined ? undefined : o.schema === undefined ? defaultPolicyPaths().schema : o.schema;
  const name = o.name ?? CEDAR_ENGINE_DEFAULTS.name;
  const generateId = o.generateId ?? (() => uuidv7());
  const instance = ++instances;
  let generation = 0;

  const load = async (): Promise<CedarPolicySet> => {
    let next = generation;
    const set = await loadCedarPolicySet({
      sources: o.sources,
      paths,
      schemaText: o.schemaText,
      schemaPath,
      nextId: () => {
        next = generation + 1;
        return `writ-${instance}-${next}`;
      },
    });
    generation = next;
    return set;
  };

  let active = await load();
  const workers = o.workers === 'auto' ? autoCedarWorkers() : (o.workers ?? 0);
  const pool = workers > 0 ? new CedarPool(workers) : undefined;
  const watchers: FSWatcher[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const engine: CedarEngine = {
    name,
    deterministic: true,
    get policyIds() {
      return Object.keys(active.loaded.policies);
    },
    get generation() {
      return generation;
    },
    get policySetDigest() {
      return active.digest;
    },
    async reload() {
      try {
        active = await load();
        o.onReload?.({ ok: true, policyIds: Object.keys(active.loaded.policies) });
      } catch (error) {
        const failure = WritError.isInstance(error)
          ? error
          : new WritError('WRIT_POLICY_INVALID', 'policy reload failed', { cause: error });
        o.onReload?.({ ok: false, error: failure });
        throw failure;
      }
    },
    close() {
      void pool?.close();
      clearTimeout(timer);
      for (const w of watchers.splice(0)) w.close();
    },
    async decide(request: AuthorizationRequest, _options: CallOptions): Promise<Decision> {
      const decision = { engine: name, decisionId: generateId(), extendContext: o.extendContext };
      if (pool === undefined) return decideWithCedar(active, request, decision);
      const set = active;
      let answer: Awaited<ReturnType<CedarPool['authorize']>>;
      try {
        answer = await pool.authorize(set, cedarCall(set, request, o.extendContext));
      } catch (error) {
        answer = failedAnswer(error);
      }
      return cedarDecision(set, request, answer, decision);
    },
  };

  if (o.watch === true) {
    const watched = [...paths, ...(typeof schemaPath === 'string' ? [schemaPath] : [])];
    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        engine.reload().catch(() => {
          // reported through onReload; the previous set stays active
        });
      }, CEDAR_ENGINE_DEFAULTS.reloadDebounceMs);
      timer.unref?.();
    };
    for (const path of watched) {
      const watcher = watch(path, { persistent: false }, schedule);
      watcher.on('error', () => schedule());
      watchers.push(watcher);
    }
  }
  return engine;
}
