import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WritError, type WritOptions } from '@writ/core';
import { formatIssues, lazySchema, limitsSchema, telemetrySettingsShape } from '@writ/core/internal';
import { z } from 'zod';

/**
 * Settings for the embedded defaults (everything `createWrit` assembles when you do not pass components).
 *
 * @example
 * ```ts
 * // writ.config.ts
 * export default {
 *   service: 'support',
 *   durability: 'batched',
 *   policy: { policies: './policies', watch: true },
 *   audit: { dir: '/var/lib/support/audit' },
 *   credentials: { ttlSec: 120 },
 *   redact: ['email', 'card.number'],
 * } satisfies WritConfig;
 * ```
 */
export interface WritConfig {
  /** Service name in records. @default 'writ' */
  service?: string;
  /** `context.environment` for policy. @default NODE_ENV or 'development' */
  environment?: string;
  /** Where keys, the audit log and state live. @default '.writ' */
  dir?: string;
  /** SPIFFE trust domain of the local authority. @default 'writ.local' */
  trustDomain?: string;
  /**
   * Where the runtime publishes its public material when it starts: `jwks.json` (the local authority's
   * public keys) and `log.verifier-key` (the file log's checkpoint verifier key), world-readable, no private
   * member. What `writ keys export-jwks --public <dir>` and `writ verify --key-file` read without access to
   * the private keys. `false` publishes nothing. @default '<dir>/public'
   */
  publicDir?: string | false;
  keys?: {
    /**
     * Whether missing keys (the local authority's, the audit log's) may be created in `<dir>/keys`.
     * `false` on replicas of a fleet: a replica that finds no key refuses to start
     * (`WRIT_IDENTITY_UNAVAILABLE` / `WRIT_AUDIT_UNAVAILABLE`, reason `*key_missing`) instead of signing
     * with a key nobody trusts. @default true
     */
    create?: boolean;
  };
  /** @default 'strict' */
  durability?: 'strict' | 'batched' | 'async';
  /** @default false */
  requireTask?: boolean;
  policy?: {
    /** `.cedar` files or directories. @default the shipped default policy set */
    policies?: string | string[];
    /** `.cedarschema` file. @default the Writ schema */
    schema?: string;
    /** Hot-reload policy files. @default false */
    watch?: boolean;
  };
  audit?: {
    /** @default '<dir>/audit' */
    dir?: string;
    /** @default 1000 */
    checkpointEvery?: number;
  };
  credentials?: {
    /** Task token lifetime, seconds. @default 300 */
    ttlSec?: number;
  };
  telemetry?: {
    recordInputs?: boolean;
    recordOutputs?: boolean;
    recordEndUser?: boolean;
    recordErrorMessages?: boolean;
  };
  capture?: { args?: boolean; results?: boolean };
  redact?: string[];
  limits?: {
    /** Larger arguments are refused (`WRIT_INPUT_INVALID`, recorded). @default 1048576 */
    argsBytes?: number;
  };
}

/**
 * The zod schema of {@link WritConfig}: strict (unknown keys are refused), used for config files and
 * `WRIT_*` variables alike.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 *
 * const result = configSchema.safeParse(JSON.parse(await readFile('writ.config.json', 'utf8')));
 * if (!result.success) console.error(result.error.issues.map((issue) => issue.path.join('.')));
 * ```
 */
export const configSchema = lazySchema(() =>
  z.strictObject({
    service: z.string().min(1).optional(),
    environment: z.string().min(1).optional(),
    dir: z.string().min(1).optional(),
    publicDir: z.union([z.string().min(1), z.literal(false)]).optional(),
    trustDomain: z
      .string()
      .regex(/^[a-z0-9._-]{1,255}$/, 'must be a SPIFFE trust domain ([a-z0-9._-])')
      .optional(),
    keys: z.strictObject({ create: z.boolean().optional() }).optional(),
    durability: z.enum(['strict', 'batched', 'async']).optional(),
    requireTask: z.boolean().optional(),
    policy: z
      .strictObject({
        policies: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
        schema: z.string().min(1).optional(),
        watch: z.boolean().optional(),
      })
      .optional(),
    audit: z
      .strictObject({
        dir: z.string().min(1).optional(),
        checkpointEvery: z.number().int().positive().optional(),
      })
      .optional(),
    credentials: z.strictObject({ ttlSec: z.number().int().min(5).max(86_400).optional() }).optional(),
    telemetry: z.strictObject({ ...telemetrySettingsShape }).optional(),
    limits: limitsSchema.optional(),
    capture: z.strictObject({ args: z.boolean().optional(), results: z.boolean().optional() }).optional(),
    redact: z.array(z.string().min(1)).optional(),
  }),
);

/**
 * Environment variables read by {@link readEnvConfig}, and the setting each fills.
 *
 * @example
 * ```ts
 * for (const [variable, setting] of Object.entries(ENV_VARS)) {
 *   if (process.env[variable] !== undefined) console.log(`${setting} comes from ${variable}`);
 * }
 * ```
 */
export const ENV_VARS = Object.freeze({
  WRIT_SERVICE: 'service',
  WRIT_ENVIRONMENT: 'environment',
  WRIT_DIR: 'dir',
  WRIT_TRUST_DOMAIN: 'trustDomain',
  WRIT_CREATE_KEYS: 'keys.create',
  WRIT_DURABILITY: 'durability',
  WRIT_REQUIRE_TASK: 'requireTask',
  WRIT_POLICY_PATH: 'policy.policies',
  WRIT_AUDIT_DIR: 'audit.dir',
} as const);

function parse(input: unknown, source: string): WritConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data as WritConfig;
  const problems =
    source === 'environment'
      ? // name the variable a bad value came from, not the setting it fills
        formatIssues(
          result.error.issues.map((issue) => {
            const key = issue.path.map(String).join('.');
            const variable = Object.entries(ENV_VARS).find(([, path]) => path === key)?.[0];
            return variable === undefined ? issue : { ...issue, path: [variable] };
          }),
        )
      : formatIssues(result.error.issues).map((problem) => `${source}: ${problem}`);
  throw new WritError('WRIT_OPTIONS_INVALID', `invalid Writ configuration: ${problems.join('; ')}`, {
    details: { issues: problems },
  });
}

/**
 * Reads `WRIT_*` environment variables (see {@link ENV_VARS}); a bad value throws `WRIT_OPTIONS_INVALID`
 * naming the variable.
 *
 * @example
 * ```ts
 * readEnvConfig({ WRIT_DURABILITY: 'batched' }); // { durability: 'batched' }
 * ```
 */
export function readEnvConfig(env: NodeJS.ProcessEnv = process.env): WritConfig {
  const out: Record<string, unknown> = {};
  const set = (path: string, value: unknown) => {
    const [head, tail] = path.split('.') as [string, string | undefined];
    if (tail === undefined) out[head] = value;
    else out[head] = { ...((out[head] as object | undefined) ?? {}), [tail]: value };
  };
  for (const [variable, path] of Object.entries(ENV_VARS)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    if (path === 'requireTask' || path === 'keys.create')
      set(path, raw === 'true' ? true : raw === 'false' ? false : raw);
    else if (path === 'policy.policies')
      set(
        path,
        raw
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean),
      );
    else set(path, raw);
  }
  return parse(out, 'environment');
}

/**
 * Reads `writ.config.json` from `dir` (or the file named by `WRIT_CONFIG`), synchronously. Returns `{}`
 * when there is none. Use {@link loadConfig} for `writ.config.ts` / `.js`.
 *
 * @example
 * ```ts
 * const config = readConfigFile(); // ./writ.config.json
 * ```
 */
export function readConfigFile(
  dir: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): WritConfig {
  const file = env.WRIT_CONFIG !== undefined ? resolve(env.WRIT_CONFIG) : resolve(dir, 'writ.config.json');
  if (!file.endsWith('.json')) return {};
  if (!existsSync(file)) {
    if (env.WRIT_CONFIG !== undefined)
      throw new WritError('WRIT_OPTIONS_INVALID', `WRIT_CONFIG: ${file} does not exist`);
    return {};
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new WritError('WRIT_OPTIONS_INVALID', `${file} is not valid JSON`, { cause });
  }
  return parse(data, file);
}

/**
 * Loads the configuration from `writ.config.ts` / `.mjs` / `.js` / `.json` (first found, or `WRIT_CONFIG`),
 * then `WRIT_*` variables over it. Pass the result to `createWrit`.
 *
 * @example
 * ```ts
 * // writ.config.ts: export default { service: 'support', policy: { policies: './policies' } } satisfies WritConfig;
 * const writ = createWrit(await loadConfig());
 * ```
 */
export async function loadConfig(
  dir: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<WritConfig> {
  const candidates =
    env.WRIT_CONFIG !== undefined
      ? [resolve(env.WRIT_CONFIG)]
      : ['ts', 'mts', 'mjs', 'js', 'json'].map((ext) => resolve(dir, `writ.config.${ext}`));
  let fromFile: WritConfig = {};
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    if (file.endsWith('.json')) fromFile = readConfigFile(dir, { ...env, WRIT_CONFIG: file });
    else {
      const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
      fromFile = parse(mod.default ?? mod, file);
    }
    break;
  }
  return mergeConfig(fromFile, readEnvConfig(env));
}

/**
 * Later configs win; nested sections merge key by key.
 *
 * @example
 * ```ts
 * mergeConfig({ service: 'support', audit: { dir: './audit', checkpointEvery: 100 } }, { audit: { dir: '/var/audit' } });
 * // { service: 'support', audit: { dir: '/var/audit', checkpointEvery: 100 } }
 * ```
 */
export function mergeConfig(...configs: WritConfig[]): WritConfig {
  const out: Record<string, unknown> = {};
  for (const config of configs) {
    for (const [key, value] of Object.entries(config)) {
      if (value === undefined) continue;
      const prev = out[key];
      out[key] =
        typeof value === 'object' &&
        !Array.isArray(value) &&
        typeof prev === 'object' &&
        prev !== null &&
        !Array.isArray(prev)
          ? { ...prev, ...value }
          : value;
    }
  }
  return out as WritConfig;
}

export type { WritOptions };
