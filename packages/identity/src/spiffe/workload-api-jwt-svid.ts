import { WritError } from '@writ/core';
import { signalSchema, validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import { parseSpiffeId } from './spiffe-id.js';
import {
  type JwtSvidMessage,
  malformed,
  type StructMessage,
  type StructValue,
  type WorkloadApiConnection,
} from './workload-api-connection.js';

/**
 * Options of {@link WorkloadApiClient.fetchJwtSvid} and {@link WorkloadApiClient.fetchJwtSvids}.
 *
 * @example
 * ```ts
 * const options: FetchJwtSvidOptions = { audience: 'writ', spiffeId: 'spiffe://example.org/agent/support' };
 * ```
 */
export interface FetchJwtSvidOptions {
  /** The audience(s) the SVID is for (its `aud`). */
  audience: string | readonly string[];
  /** Only the SVID of this identity. @default every identity the workload is entitled to */
  spiffeId?: string | undefined;
  /** Cancels the call (and any retry wait). */
  signal?: AbortSignal | undefined;
}

/**
 * A JWT-SVID as the Workload API returned it. Not yet validated: use `validateJwtSvid` for that.
 *
 * @example
 * ```ts
 * const { spiffeId, token, hint }: FetchedJwtSvid = await client.fetchJwtSvid({ audience: 'writ' });
 * ```
 */
export interface FetchedJwtSvid {
  /** The SPIFFE ID the agent says the SVID is for. */
  readonly spiffeId: string;
  /** The JWT-SVID (compact JWS). */
  readonly token: string;
  /** Operator-set label telling several SVIDs apart, when set. */
  readonly hint?: string | undefined;
}

/**
 * Options of {@link WorkloadApiClient.validateJwtSvid}.
 *
 * @example
 * ```ts
 * const { spiffeId } = await client.validateJwtSvid(token, { audience: 'writ' } satisfies RemoteValidateJwtSvidOptions);
 * ```
 */
export interface RemoteValidateJwtSvidOptions {
  /** The audience of the validating party. */
  audience: string;
  /** Cancels the call (and any retry wait). */
  signal?: AbortSignal | undefined;
}

const fetchSchema = z.strictObject({
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  spiffeId: z.string().optional(),
  signal: signalSchema.optional(),
});
const validateSchema = z.strictObject({ audience: z.string().min(1), signal: signalSchema.optional() });

/** The SPIFFE ID the agent named, normalised; an invalid one is a malformed answer. */
function answeredSpiffeId(value: unknown, method: string): string {
  try {
    return parseSpiffeId(value).toString();
  } catch (error) {
    throw malformed(method, 'an invalid SPIFFE ID', error);
  }
}

/**
 * `FetchJWTSVID`: every JWT-SVID the workload is entitled to for the audience (or only `spiffeId`'s),
 * checked for shape: at least one, none empty, each naming a valid SPIFFE ID, the requested one if any.
 *
 * @example
 * ```ts
 * const [first] = await fetchJwtSvids(connection, { audience: 'writ' });
 * ```
 * @internal
 */
export async function fetchJwtSvids(
  connection: WorkloadApiConnection,
  options: FetchJwtSvidOptions,
): Promise<FetchedJwtSvid[]> {
  const o = validateOptions(fetchSchema, options, 'fetchJwtSvid');
  const wanted = o.spiffeId === undefined ? undefined : parseSpiffeId(o.spiffeId).toString();
  const request = {
    audience: typeof o.audience === 'string' ? [o.audience] : [...o.audience],
    spiffe_id: wanted ?? '',
  };
  const method = 'FetchJWTSVID';
  const response = await connection.unary<{ svids?: JwtSvidMessage[] }>(
    method,
    o.signal,
    (client, md, co, cb) => client.FetchJWTSVID(request, md, co, cb),
  );
  const svids = response.svids ?? [];
  if (svids.length === 0) throw malformed(method, 'no JWT-SVID');
  return svids.map((svid) => {
    if (typeof svid.svid !== 'string' || svid.svid.length === 0) throw malformed(method, 'an empty JWT-SVID');
    const spiffeId = answeredSpiffeId(svid.spiffe_id, method);
    if (wanted !== undefined && spiffeId !== wanted) {
      throw new WritError(
        'WRIT_IDENTITY_INVALID',
        `asked for ${wanted}, the Workload API answered ${spiffeId}`,
        {
          details: { reason: 'unexpected_spiffe_id', method },
        },
      );
    }
    return Object.freeze({ spiffeId, token: svid.svid, hint: svid.hint ? svid.hint : undefined });
  });
}

/**
 * `ValidateJWTSVID`: asks the agent to validate a JWT-SVID for `audience`; returns the SPIFFE ID it
 * names and its claims as plain JSON values.
 *
 * @example
 * ```ts
 * const { spiffeId, claims } = await validateJwtSvidRemotely(connection, token, { audience: 'writ' });
 * ```
 * @internal
 */
export async function validateJwtSvidRemotely(
  connection: WorkloadApiConnection,
  token: string,
  options: RemoteValidateJwtSvidOptions,
): Promise<{ spiffeId: string; claims: Record<string, unknown> }> {
  const o = validateOptions(validateSchema, options, 'validateJwtSvid');
  if (typeof token !== 'string' || token.length === 0) {
    throw new WritError('WRIT_TOKEN_INVALID', 'JWT-SVID refused: no token was presented', {
      details: { token: 'JWT-SVID', reason: 'not_a_token' },
    });
  }
  const method = 'ValidateJWTSVID';
  const response = await connection.unary<{ spiffe_id?: string; claims?: StructMessage }>(
    method,
    o.signal,
    (client, md, co, cb) => client.ValidateJWTSVID({ audience: o.audience, svid: token }, md, co, cb),
  );
  return { spiffeId: answeredSpiffeId(response.spiffe_id, method), claims: fromStruct(response.claims) };
}

function fromStructValue(value: StructValue | undefined): unknown {
  if (value === undefined || value === null) return null;
  switch (value.kind) {
    case 'numberValue':
    case 'stringValue':
    case 'boolValue':
      return value[value.kind];
    case 'structValue':
      return fromStruct(value.structValue as StructMessage | undefined);
    case 'listValue':
      return ((value.listValue as { values?: StructValue[] } | undefined)?.values ?? []).map(fromStructValue);
    default:
      return null;
  }
}

/**
 * A decoded `google.protobuf.Struct` as a plain object (`null` for null and unknown kinds).
 *
 * @example
 * ```ts
 * fromStruct({ fields: { n: { kind: 'numberValue', numberValue: 2 } } }); // { n: 2 }
 * ```
 * @internal
 */
export function fromStruct(struct: StructMessage | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) out[key] = fromStructValue(value);
  return out;
}
