import type { WritError } from '@writ/core';
import {
  clockSchema,
  fetchSchema,
  functionSchema,
  timeoutSchema,
  validateOptions,
} from '@writ/core/internal';
import { z } from 'zod';
import { type LocalAuthority, localAuthoritySchema } from './local-authority.js';
import { clientAuthSchema } from './oidc/oauth-request.js';
import { endpointUrl } from './oidc/secure-url.js';
import type { ExchangeTokenOptions } from './oidc/token-exchange.js';
import { createRevocationList, type RevocationList } from './revocation-list.js';
import type { TaskLeases } from './task-leases.js';

/**
 * Defaults of {@link createCredentialBroker}: how long task tokens live and when they are renewed.
 *
 * @example
 * ```ts
 * // long-running tasks: tokens live twice as long, renewed with the same margin
 * const credentials = createCredentialBroker({
 *   authority,
 *   ttlSec: CREDENTIAL_BROKER_DEFAULTS.ttlSec * 2,
 *   renewBeforeSec: CREDENTIAL_BROKER_DEFAULTS.renewBeforeSec,
 * });
 * ```
 */
export const CREDENTIAL_BROKER_DEFAULTS = Object.freeze({
  /** Lifetime of task tokens and local credentials, seconds. @default 300 */
  ttlSec: 300,
  /** A credential with less than this left is renewed rather than reused, seconds. @default 60 */
  renewBeforeSec: 60,
});

/**
 * Where per-audience credentials come from when not minted locally: an RFC 8693 token endpoint.
 *
 * @example
 * ```ts
 * const exchange: TokenExchangeConfig = {
 *   tokenEndpoint: 'https://login.example.com/token',
 *   clientId: 'writ-broker',
 *   clientSecret: process.env.BROKER_SECRET,
 *   revocationEndpoint: 'https://login.example.com/token/revocation',
 *   audiences: ['https://payments.example.com'],
 * };
 * const credentials = createCredentialBroker({ authority, exchange });
 * ```
 */
export interface TokenExchangeConfig {
  tokenEndpoint: string;
  clientId: string;
  clientSecret?: string;
  clientAuth?: ExchangeTokenOptions['clientAuth'];
  /** RFC 7009 endpoint; exchanged credentials are revoked there when the task ends. */
  revocationEndpoint?: string;
  /** @default TOKEN_TYPES.accessToken */
  requestedTokenType?: string;
  /** Audiences to exchange for; others are minted locally. @default every audience */
  audiences?: readonly string[];
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * Options of {@link createCredentialBroker}.
 *
 * @example
 * ```ts
 * const revocations = createRevocationList();
 * const options: CreateCredentialBrokerOptions = {
 *   authority: await createLocalAuthority(),
 *   ttlSec: 120,
 *   revocations, // shared with verifyTaskToken({ isRevoked: revocations.isRevoked })
 *   onError: (error) => console.warn(`credential broker: ${error.code} ${error.message}`),
 * };
 * const credentials = createCredentialBroker(options);
 * ```
 */
export interface CreateCredentialBrokerOptions {
  /** Signs task tokens and local credentials. */
  authority: LocalAuthority;
  /** `aud` of task tokens. @default authority.issuer */
  taskAudience?: string;
  /** @default 300 */
  ttlSec?: number;
  /** @default 60 */
  renewBeforeSec?: number;
  /**
   * Where revoked `jti`s go; share it with `verifyTaskToken`. A list every replica sees
   * (`createPostgresRevocationList` in `@writ/postgres`) makes a revocation hold across a fleet.
   * @default a new in-process list
   */
  revocations?: RevocationList;
  /**
   * Task leases (fleet mode): every credential is listed on its run's lease before it is handed out, so
   * a reaper in another process can revoke it when this process dies mid-task. @default none
   */
  leases?: TaskLeases;
  /** Exchange per-audience credentials at an OAuth token endpoint (RFC 8693) instead of minting them. */
  exchange?: TokenExchangeConfig;
  /** @default Date.now */
  clock?: () => number;
  /** Failures that do not stop a task (remote revocation failed). */
  onError?: (error: WritError) => void;
}

const optionsSchema = z.strictObject({
  authority: localAuthoritySchema,
  taskAudience: z.string().min(1).optional(),
  ttlSec: z.number().int().min(5).max(86_400).optional(),
  renewBeforeSec: z.number().int().min(0).max(3_600).optional(),
  revocations: z
    .custom<RevocationList>(
      (v) => typeof v === 'object' && v !== null && typeof (v as RevocationList).revoke === 'function',
      {
        message: 'must be a RevocationList',
      },
    )
    .optional(),
  leases: z
    .custom<TaskLeases>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as TaskLeases).hold === 'function' &&
        typeof (v as TaskLeases).release === 'function',
      { message: 'must be TaskLeases ({ hold, release })' },
    )
    .optional(),
  exchange: z
    .strictObject({
      tokenEndpoint: endpointUrl(),
      clientId: z.string().min(1),
      clientSecret: z.string().optional(),
      clientAuth: clientAuthSchema.exclude(['none']).optional(),
      revocationEndpoint: endpointUrl().optional(),
      requestedTokenType: z.string().min(1).optional(),
      audiences: z.array(z.string().min(1)).optional(),
      fetch: fetchSchema.optional(),
      timeoutMs: timeoutSchema.optional(),
    })
    .optional(),
  clock: clockSchema.optional(),
  onError: functionSchema<(e: WritError) => void>().optional(),
});

/**
 * The options of {@link createCredentialBroker} validated, with their defaults applied: what the parts
 * of the broker (task credentials, call credentials, held credentials) share.
 *
 * @internal
 * @example
 * ```ts
 * const settings: BrokerSettings = resolveBrokerOptions({ authority });
 * settings.ttlSec; // 300
 * ```
 */
export interface BrokerSettings {
  readonly authority: LocalAuthority;
  readonly clock: () => number;
  readonly ttlSec: number;
  readonly renewBeforeMs: number;
  readonly taskAudience: string;
  readonly revocations: RevocationList;
  readonly exchange: TokenExchangeConfig | undefined;
  readonly leases: TaskLeases | undefined;
  /** Reports a failure that does not stop a task to `onError`; never throws. */
  readonly report: (error: WritError) => void;
}

/**
 * Validates the options of {@link createCredentialBroker} (throwing `WRIT_OPTIONS_INVALID` naming the
 * option) and applies {@link CREDENTIAL_BROKER_DEFAULTS}.
 *
 * @internal
 * @example
 * ```ts
 * const { revocations, taskAudience } = resolveBrokerOptions({ authority, ttlSec: 120 });
 * ```
 */
export function resolveBrokerOptions(options: CreateCredentialBrokerOptions): BrokerSettings {
  const o = validateOptions(
    optionsSchema,
    options,
    'createCredentialBroker',
  ) as CreateCredentialBrokerOptions;
  const authority = o.authority;
  const clock = o.clock ?? Date.now;
  return {
    authority,
    clock,
    ttlSec: o.ttlSec ?? CREDENTIAL_BROKER_DEFAULTS.ttlSec,
    renewBeforeMs: (o.renewBeforeSec ?? CREDENTIAL_BROKER_DEFAULTS.renewBeforeSec) * 1000,
    taskAudience: o.taskAudience ?? authority.issuer,
    revocations: o.revocations ?? createRevocationList({ clock }),
    exchange: o.exchange,
    leases: o.leases,
    report: (error: WritError) => {
      try {
        o.onError?.(error);
      } catch {
        // never let a reporting hook break a task
      }
    },
  };
}
