import { join, resolve } from 'node:path';
import type { FileAuditSink } from '@writ/audit';
import {
  type ApprovalHandler,
  createWrit as createCoreWrit,
  WRIT_DEFAULTS,
  type Writ,
  WritError,
  type WritOptions,
} from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import {
  type AuditSink,
  type CredentialBroker,
  type IdentityProvider,
  type PolicyEngine,
  toWritError,
} from '@writ/core/plugin';
import type { LocalAuthority, LocalIdentity, RevocationList, WritCredentialBroker } from '@writ/identity';
import type { CedarEngine } from '@writ/policy';
import { configSchema, mergeConfig, readConfigFile, readEnvConfig, type WritConfig } from './config.js';
import { loadEmbeddedPackages } from './embedded-packages.js';
import { publicKeysOf, publishPublicKeys, type WritPublicKeys } from './public-keys.js';
import type { WritStore, WritStoreServices } from './writ-store.js';

/**
 * Options of the zero-config {@link createWrit}: core's options plus the embedded defaults' settings.
 * `policy`, `audit` and `credentials` take either a component (replacing the embedded one) or settings
 * for the embedded one.
 *
 * @example
 * ```ts
 * import { createAuthZenEngine } from '@writ/policy';
 *
 * const options: CreateWritOptions = {
 *   service: 'support',
 *   policy: createAuthZenEngine({ pdp: 'https://pdp.example.com' }), // a component: replaces the embedded Cedar
 *   audit: { dir: '/var/lib/support/audit' }, // settings: for the embedded file log
 * };
 * const writ = createWrit(options);
 * ```
 */
export type CreateWritOptions = Omit<WritOptions, 'policy' | 'audit' | 'credentials'> &
  Omit<WritConfig, 'policy' | 'audit' | 'credentials'> & {
    policy?: PolicyEngine | WritConfig['policy'];
    audit?: AuditSink | WritConfig['audit'];
    credentials?: CredentialBroker | WritConfig['credentials'];
    approvals?: ApprovalHandler;
    /**
     * Fleet mode: Writ's shared state (call ledger, durable approvals, …) in one place every replica
     * reaches, e.g. `postgres(url)` from `@writ/postgres`. Turns on every shared piece it carries, and
     * suspend mode for approvals (unless you pass `approvals` or `approvalMode`); `stores` you pass win.
     * @default none: state in this process, the file log on disk
     */
    store?: WritStore;
  };

/**
 * The embedded components, once initialised.
 *
 * @example
 * ```ts
 * const writ = createWrit();
 * const components: EmbeddedComponents = await writ.ready();
 * console.log(`agents are ${components.authority.agentId('support-bot')}`);
 * if (components.fileAudit !== undefined) console.log(`verify the log with ${components.fileAudit.verifierKey}`);
 * ```
 */
export interface EmbeddedComponents {
  readonly authority: LocalAuthority;
  readonly identity: IdentityProvider;
  /** The local identity, when it is the one in use (it can sign in local users). */
  readonly localIdentity: LocalIdentity | undefined;
  readonly credentials: CredentialBroker;
  /**
   * The revocation list of the embedded credential broker (`undefined` when you passed your own broker):
   * every credential of a task run is on it once the run ends. A service in the same process refuses
   * revoked tokens with `verifyTaskToken(token, { ..., isRevoked: revocations.isRevoked })`.
   */
  readonly revocations: RevocationList | undefined;
  readonly policy: PolicyEngine;
  readonly audit: AuditSink;
  /** The file sink, when it is the one in use (its `verifierKey` checks the log). */
  readonly fileAudit: FileAuditSink | undefined;
}

/**
 * A Writ instance with embedded defaults: a `Writ`, plus its resolved settings and a way to start its
 * components eagerly.
 *
 * @example
 * ```ts
 * const writ: WritRuntime = createWrit({ service: 'support' });
 * await writ.ready(); // fail at start-up, not on the first call, when keys or policies are broken
 * console.log(`writing to ${writ.config.dir}`);
 * process.on('SIGTERM', () => void writ.close());
 * ```
 */
export interface WritRuntime extends Writ {
  /** The resolved settings. */
  readonly config: Readonly<WritConfig> & { readonly dir: string };
  /** Initialises the embedded components now (keys, policies, log) and returns them; throws what they throw. */
  ready(): Promise<EmbeddedComponents>;
  /**
   * The public material others need to check this instance, from the running process (no private key
   * leaves it): the local authority's JWKS and issuer, for services verifying its tokens, and the log's
   * verifier key, for `writ verify --key`. Serve it (e.g. at `/.well-known/jwks.json`) or write it out.
   */
  publicKeys(): Promise<WritPublicKeys>;
}

const CORE_KEYS = new Set([
  'service',
  'environment',
  'identity',
  'policy',
  'credentials',
  'audit',
  'approvals',
  'approvalMode',
  'durability',
  'requireTask',
  'autonomousAgent',
  'agents',
  'middleware',
  'redact',
  'capture',
  'telemetry',
  'limits',
  'stores',
  'timeouts',
  'clock',
  'generateId',
  'onError',
]);

const isComponent = (v: unknown, method: string) =>
  typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[method] === 'function';

/**
 * Creates a Writ instance that works with no configuration at all: the local authority in `.writ/keys`
 * (agent identity, local requester tokens, task tokens and credentials), the shipped Cedar policy set,
 * the tamper-evident file log in `.writ/audit` with strict durability, and the OpenTelemetry API's global
 * tracer. Settings come from options, then `writ.config.json` (or `await loadConfig()` for `.ts`), then
 * `WRIT_*` environment variables; any component you pass replaces the embedded one. Components start
 * on first use (or `await writ.ready()`).
 *
 * @example
 * ```ts
 * import { createWrit } from 'writ';
 * const writ = createWrit();                       // zero config
 * const { localIdentity } = await writ.ready();
 * const alice = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
 * await writ.task({ requester: alice, agent: 'support-bot' }, () => lookup.execute({ orderId: '42' }));
 * ```
 */
export function createWrit(options: CreateWritOptions = {}): WritRuntime {
  const given = options as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  const core: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined || key === 'store') continue;
    // `policy`, `audit`, `credentials` are either components (core) or settings sections (config)
    if (key === 'policy' && !isComponent(value, 'decide')) settings.policy = value;
    else if (key === 'audit' && !isComponent(value, 'append')) settings.audit = value;
    else if (key === 'credentials' && !isComponent(value, 'credentialFor')) settings.credentials = value;
    else if (['dir', 'trustDomain', 'publicDir'].includes(key)) settings[key] = value;
    else if (CORE_KEYS.has(key)) core[key] = value;
    else settings[key] = value;
  }
  for (const key of ['service', 'environment', 'durability', 'requireTask', 'capture', 'redact', 'limits']) {
    if (key in core && !(key in settings)) settings[key] = core[key];
  }
  // the telemetry settings (not the tracer, which is a component) may also come from files
  const { tracer: _tracer, ...telemetrySettings } = (core.telemetry ?? {}) as Record<string, unknown>;
  if (Object.keys(telemetrySettings).length > 0) settings.telemetry = telemetrySettings;
  const parsedOptions = validateOptions(configSchema, settings, 'createWrit') as WritConfig;
  const config = mergeConfig(readConfigFile(), readEnvConfig(), parsedOptions);
  const dir = resolve(config.dir ?? '.writ');
  const store = options.store;
  if (store !== undefined && (store?.kind !== 'writ-store' || typeof store.stores !== 'object')) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'createWrit: options.store must be a Writ store (e.g. postgres(url) from @writ/postgres)',
    );
  }
  const service = config.service ?? (core.service as string | undefined) ?? WRIT_DEFAULTS.service;
  let fleet: WritStoreServices | undefined;

  let components: Promise<EmbeddedComponents> | undefined;
  let ready: EmbeddedComponents | undefined;
  const init = (): Promise<EmbeddedComponents> => {
    components ??= (async () => {
      // the embedded components' packages load here, when the runtime starts: not at `import 'writ'`
      const {
        identity: identityPackage,
        policy: policyPackage,
        audit: auditPackage,
      } = await loadEmbeddedPackages();
      const { createCredentialBroker, createLocalAuthority, createLocalIdentity } = identityPackage;
      // the keys (file I/O) and Cedar (wasm, policy files) start together: neither waits for the other's
      // disk; a failure is the first in this order, as when they started one after the other
      const [authorityStart, policyStart] = await Promise.allSettled([
        createLocalAuthority({
          dir: join(dir, 'keys'),
          trustDomain: config.trustDomain,
          create: config.keys?.create ?? true,
        }),
        core.policy === undefined
          ? policyPackage.createCedarEngine({
              ...(config.policy?.policies === undefined ? {} : { policies: config.policy.policies }),
              ...(config.policy?.schema === undefined ? {} : { schema: config.policy.schema }),
              watch: config.policy?.watch ?? false,
            })
          : undefined,
      ]);
      if (authorityStart.status === 'rejected' || policyStart.status === 'rejected') {
        if (policyStart.status === 'fulfilled') policyStart.value?.close();
        throw authorityStart.status === 'rejected'
          ? authorityStart.reason
          : (policyStart as PromiseRejectedResult).reason;
      }
      const authority = authorityStart.value;
      const localIdentity = core.identity === undefined ? createLocalIdentity({ authority }) : undefined;
      const identity = (core.identity as IdentityProvider | undefined) ?? (localIdentity as LocalIdentity);
      const policy = (core.policy as PolicyEngine | undefined) ?? (policyStart.value as CedarEngine);
      const auditDir = config.audit?.dir ?? join(dir, 'audit');
      const fileAudit =
        core.audit === undefined
          ? await auditPackage
              .createFileAuditSink({
                dir: auditDir,
                keyDir: join(dir, 'keys'),
                createKey: config.keys?.create ?? true,
                checkpointEvery: config.audit?.checkpointEvery,
              })
              .catch((error: unknown) => {
                // an unwritable log is the audit sink's failure, whichever component asked first
                throw toWritError(
                  error,
                  'WRIT_AUDIT_UNAVAILABLE',
                  `the audit log in ${auditDir} could not be opened: ${error instanceof Error ? error.message : String(error)}`,
                );
              })
          : undefined;
      const audit = (core.audit as AuditSink | undefined) ?? (fileAudit as FileAuditSink);
      // fleet mode: the store's revocation list and task leases back the embedded broker; its reaper
      // records the abandoned tasks of replicas that died in this runtime's log
      if (store?.open !== undefined && core.credentials === undefined && fleet === undefined) {
        fleet = await store.open({ service, audit });
      }
      const embeddedBroker =
        core.credentials === undefined
          ? createCredentialBroker({
              authority,
              ttlSec: config.credentials?.ttlSec,
              ...(fleet?.revocations === undefined ? {} : { revocations: fleet.revocations }),
              ...(fleet?.leases === undefined ? {} : { leases: fleet.leases }),
            })
          : undefined;
      const credentials =
        (core.credentials as CredentialBroker | undefined) ?? (embeddedBroker as WritCredentialBroker);
      const revocations = embeddedBroker?.revocations;
      if (config.publicDir !== false) {
        await publishPublicKeys(
          resolve(config.publicDir ?? join(dir, 'public')),
          publicKeysOf(authority, fileAudit),
        );
      }
      return { authority, identity, localIdentity, credentials, revocations, policy, audit, fileAudit };
    })();
    // a failed start is not kept: the next call tries again (e.g. once the log directory is writable)
    const started = components;
    started.then(
      (made) => {
        if (components === started) ready = made;
      },
      () => {
        if (components === started) components = undefined;
      },
    );
    return started;
  };
  // once started, calls go straight to the components, without an extra await
  const use = <T>(call: (made: EmbeddedComponents) => Promise<T>): Promise<T> => {
    if (ready === undefined) return init().then(call);
    try {
      return call(ready);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const identity: IdentityProvider = (core.identity as IdentityProvider | undefined) ?? {
    name: 'local-authority',
    verifyRequester: (token, o) => use((made) => made.identity.verifyRequester(token, o)),
    agentIdentity: (agent, o) => use((made) => made.identity.agentIdentity(agent, o)),
  };
  const credentials: CredentialBroker = (core.credentials as CredentialBroker | undefined) ?? {
    name: 'writ-broker',
    issueTaskCredential: (r, o) => use((made) => made.credentials.issueTaskCredential(r, o)),
    renewTaskCredential: async (r, o) => {
      const broker = (await init()).credentials;
      if (broker.renewTaskCredential === undefined) return r.credential;
      return broker.renewTaskCredential(r, o);
    },
    credentialFor: (r, o) => use((made) => made.credentials.credentialFor(r, o)),
    revokeTask: (taskId, o) => use((made) => made.credentials.revokeTask(taskId, o)),
  };
  const policy: PolicyEngine = (core.policy as PolicyEngine | undefined) ?? {
    name: 'cedar',
    deterministic: true,
    decide: (request, o) => use((made) => made.policy.decide(request, o)),
  };
  const audit: AuditSink = (core.audit as AuditSink | undefined) ?? {
    name: 'file',
    orderedSync: true, // the embedded file log (see createFileAuditSink)
    // known once started (a task's credential is issued after its runtime started)
    get origin() {
      return ready?.audit.origin;
    },
    append: (event, o) => use((made) => made.audit.append(event, o)),
    flush: async () => {
      if (components) await (await components).audit.flush?.();
    },
    close: async () => {
      if (components) await (await components).audit.close?.();
    },
  };

  const shared =
    store === undefined
      ? {}
      : {
          stores: { ...store.stores, ...(core.stores as WritOptions['stores']) },
          approvalMode:
            (core.approvalMode as WritOptions['approvalMode']) ??
            (core.approvals === undefined ? ('suspend' as const) : ('block' as const)),
        };
  const writ = createCoreWrit({
    ...(core as WritOptions),
    ...shared,
    service: config.service ?? (core.service as string | undefined),
    environment: config.environment ?? (core.environment as string | undefined),
    durability: config.durability ?? (core.durability as WritOptions['durability']),
    requireTask: config.requireTask ?? (core.requireTask as boolean | undefined),
    telemetry: { ...(core.telemetry as object | undefined), ...config.telemetry },
    capture: config.capture ?? (core.capture as WritOptions['capture']),
    redact: config.redact ?? (core.redact as string[] | undefined),
    limits: config.limits ?? (core.limits as WritOptions['limits']),
    identity,
    credentials,
    policy,
    audit,
  });
  const closeCore = writ.close.bind(writ);
  return Object.assign(writ, {
    async close() {
      // the store's services first: the reaper records in the audit log, which closes last
      const opened = fleet;
      fleet = undefined;
      try {
        await opened?.close();
      } finally {
        await closeCore();
      }
    },
    config: Object.freeze({ ...config, dir }),
    ready: init,
    publicKeys: async () => {
      const made = await init();
      return publicKeysOf(made.authority, made.fileAudit);
    },
  }) as WritRuntime;
}
