import {
  type Baggage,
  type BaggageEntry,
  baggageEntryMetadataFromString,
  type Context,
  createTraceState,
  isSpanContextValid,
  propagation,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { activeContext, tryGetTaskState } from './context.js';
import type { Credential } from './credential.js';
import { WritError } from './errors.js';

/**
 * W3C baggage key carrying the correlation id between services.
 *
 * @example
 * ```ts
 * import { propagation } from '@opentelemetry/api';
 *
 * // what correlationIdFromContext(ctx) reads
 * const correlationId = propagation.getBaggage(extractContext(req.headers))?.getEntry(CORRELATION_BAGGAGE_KEY)?.value;
 * ```
 */
export const CORRELATION_BAGGAGE_KEY = 'writ.correlation_id';
/**
 * HTTP header carrying the task token (Transaction Tokens draft header name).
 *
 * @example
 * ```ts
 * // injectContext(headers, { credential }) sets it for you; by hand:
 * const headers: Record<string, string> = {};
 * const credential = await hopCredential('https://orders.example.com');
 * if (credential !== undefined) headers[TASK_TOKEN_HEADER] = credential.token;
 * await fetch('https://orders.example.com/api/orders/42', { headers });
 * ```
 */
export const TASK_TOKEN_HEADER = 'txn-token';
/**
 * MCP `params._meta` key carrying the task token (vendor-prefixed per the MCP `_meta` naming rules).
 *
 * @example
 * ```ts
 * // extractTaskToken(request.params._meta ?? {}, { format: 'mcp' }) reads it for you; by hand:
 * const token = (request.params._meta as Record<string, unknown> | undefined)?.[TASK_TOKEN_META_KEY];
 * ```
 */
export const TASK_TOKEN_META_KEY = 'io.writ/txn-token';

/**
 * An HTTP header map (Node's `IncomingHttpHeaders`, a plain record) or a Fetch `Headers`, or MCP `_meta`.
 *
 * @example
 * ```ts
 * const outgoing: Carrier = new Headers({ 'content-type': 'application/json' });
 * injectContext(outgoing, { credential: await hopCredential('https://payments.example.com') });
 * const incoming: Carrier = req.headers; // Node's IncomingHttpHeaders
 * const ctx = extractContext(incoming);
 * ```
 */
export type Carrier = Record<string, unknown> | HeadersLike;

/**
 * The part of the Fetch `Headers` class Writ uses.
 *
 * @example
 * ```ts
 * // an outgoing Node http.ClientRequest, seen as headers
 * const headers: HeadersLike = {
 *   get: (name) => (request.getHeader(name) as string | undefined) ?? null,
 *   set: (name, value) => request.setHeader(name, value),
 * };
 * injectContext(headers);
 * ```
 */
export interface HeadersLike {
  get(name: string): string | null;
  set(name: string, value: string): void;
}

/**
 * Where the carrier goes: HTTP headers or MCP `params._meta` (SEP-414 keys).
 *
 * @example
 * ```ts
 * const format: CarrierFormat = 'mcp';
 * const credential = await hopCredential('https://orders.example.com/mcp');
 * const _meta = injectContext<Record<string, unknown>>({}, { credential, format }); // traceparent, baggage, io.writ/txn-token
 * await client.callTool({ name: 'lookup_order', arguments: { orderId: '42' }, _meta });
 * ```
 */
export type CarrierFormat = 'http' | 'mcp';

/**
 * Options for {@link injectContext}.
 *
 * @example
 * ```ts
 * const options: InjectContextOptions = { credential: await hopCredential('https://payments.example.com'), format: 'http' };
 * const headers: Record<string, string> = {};
 * injectContext(headers, options); // traceparent, baggage and Txn-Token
 * ```
 */
export interface InjectContextOptions {
  /** Context to inject. @default the active context */
  context?: Context;
  /**
   * The credential this hop carries, put in the carrier (`Txn-Token` header or
   * `_meta["io.writ/txn-token"]`): one issued for the receiving service's audience (`hopCredential`, or
   * the credential of a tool call whose `audience` is that service). Never the task token, which does not
   * leave the process that minted it: passing it is refused (`WRIT_OPTIONS_INVALID`).
   * @default none
   */
  credential?: Credential | undefined;
  /** @default 'http' */
  format?: CarrierFormat;
}

/**
 * Options for {@link extractContext}.
 *
 * @example
 * ```ts
 * import { ROOT_CONTEXT } from '@opentelemetry/api';
 *
 * // read the caller's context on its own, not on top of whatever context is active here
 * const options: ExtractContextOptions = { context: ROOT_CONTEXT };
 * const ctx = extractContext(req.headers, options);
 * ```
 */
export interface ExtractContextOptions {
  /** Context to extend. @default the active context */
  context?: Context;
}

const MAX_BAGGAGE_LENGTH = 8192;
const MAX_BAGGAGE_ENTRIES = 180;
const MAX_BAGGAGE_MEMBER_LENGTH = 4096;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

function isHeaders(carrier: Carrier): carrier is HeadersLike {
  return (
    typeof (carrier as HeadersLike).get === 'function' && typeof (carrier as HeadersLike).set === 'function'
  );
}

const setter: TextMapSetter<Carrier> = {
  set(carrier, key, value) {
    if (isHeaders(carrier)) carrier.set(key, value);
    else (carrier as Record<string, unknown>)[key] = value;
  },
};

const getter: TextMapGetter<Carrier> = {
  keys(carrier) {
    if (isHeaders(carrier)) return [];
    return Object.keys(carrier);
  },
  get(carrier, key) {
    if (isHeaders(carrier)) {
      try {
        return carrier.get(key) ?? undefined;
      } catch {
        return undefined; // not a valid header name (the MCP `_meta` key): Fetch Headers cannot hold it
      }
    }
    const record = carrier as Record<string, unknown>;
    let value = record[key];
    if (value === undefined) {
      const lower = key.toLowerCase();
      for (const name of Object.keys(record)) {
        if (name.toLowerCase() === lower) {
          value = record[name];
          break;
        }
      }
    }
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
    return undefined;
  },
};

function globalPropagatorRegistered(): boolean {
  return propagation.fields().length > 0;
}

/**
 * Writes the trace context (`traceparent`, `tracestate`), W3C `baggage` (which carries the correlation
 * id) and, when given, the hop's credential into an outgoing carrier: HTTP headers or MCP `params._meta`.
 * Uses the globally registered OTel propagator when there is one, Writ's own W3C implementation otherwise.
 *
 * @example
 * ```ts
 * const headers: Record<string, string> = {};
 * injectContext(headers, { credential: await hopCredential('https://payments.internal') });
 * await fetch('https://payments.internal/refunds', { method: 'POST', headers, body });
 * ```
 */
export function injectContext<C extends Carrier>(carrier: C, options: InjectContextOptions = {}): C {
  const ctx = options.context ?? activeContext();
  if (globalPropagatorRegistered()) {
    propagation.inject(ctx, carrier, setter);
  } else {
    injectW3C(ctx, carrier);
  }
  const { credential } = options;
  if (credential !== undefined) {
    if (credential.jti === tryGetTaskState(ctx)?.credential?.jti) {
      throw new WritError(
        'WRIT_OPTIONS_INVALID',
        'injectContext: options.credential is the task token, which never leaves this process: send a credential for the receiving service (hopCredential(audience))',
      );
    }
    setter.set(carrier, options.format === 'mcp' ? TASK_TOKEN_META_KEY : TASK_TOKEN_HEADER, credential.token);
  }
  return carrier;
}

/**
 * Reads trace context and baggage from an incoming carrier into a new Context. Malformed values are
 * ignored, as W3C Trace Context requires. Nothing read here is trusted for identity: only a verified
 * task token is.
 *
 * @example
 * ```ts
 * const ctx = extractContext(req.headers);
 * await runInContext(ctx, () => writ.task({ requester: req.headers.authorization, agent: 'billing' }, work));
 * ```
 */
export function extractContext(carrier: Carrier, options: ExtractContextOptions = {}): Context {
  const base = options.context ?? activeContext();
  if (globalPropagatorRegistered()) return propagation.extract(base, carrier, getter);
  return extractW3C(base, carrier);
}

/**
 * The task token from an incoming carrier, if present. Verify it before trusting anything in it.
 *
 * @example
 * ```ts
 * const token = extractTaskToken(request.params._meta ?? {}, { format: 'mcp' });
 * ```
 */
export function extractTaskToken(
  carrier: Carrier,
  options: { format?: CarrierFormat } = {},
): string | undefined {
  const value = getter.get(carrier, options.format === 'mcp' ? TASK_TOKEN_META_KEY : TASK_TOKEN_HEADER);
  const token = Array.isArray(value) ? value[0] : value;
  return typeof token === 'string' && token.length > 0 ? token : undefined;
}

/**
 * The correlation id carried in the context's W3C baggage, if any.
 *
 * @example
 * ```ts
 * const correlationId = correlationIdFromContext(extractContext(req.headers));
 * ```
 */
export function correlationIdFromContext(ctx: Context = activeContext()): string | undefined {
  const value = propagation.getBaggage(ctx)?.getEntry(CORRELATION_BAGGAGE_KEY)?.value;
  return value !== undefined && value.length > 0 && value.length <= 256 ? value : undefined;
}

/** A context whose baggage carries `correlationId` (other entries kept). */
export function withCorrelationBaggage(ctx: Context, correlationId: string): Context {
  const current: Baggage = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  return propagation.setBaggage(ctx, current.setEntry(CORRELATION_BAGGAGE_KEY, { value: correlationId }));
}

function injectW3C(ctx: Context, carrier: Carrier): void {
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext !== undefined && isSpanContextValid(spanContext)) {
    const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
    setter.set(carrier, 'traceparent', `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`);
    const state = spanContext.traceState?.serialize();
    if (state) setter.set(carrier, 'tracestate', state);
  }
  const baggage = propagation.getBaggage(ctx);
  if (baggage !== undefined) {
    const parts: string[] = [];
    let length = 0;
    for (const [key, entry] of baggage.getAllEntries()) {
      let part = `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}`;
      if (entry.metadata !== undefined) part += `;${entry.metadata.toString()}`;
      if (parts.length >= MAX_BAGGAGE_ENTRIES || length + part.length + 1 > MAX_BAGGAGE_LENGTH) break;
      parts.push(part);
      length += part.length + 1;
    }
    if (parts.length > 0) setter.set(carrier, 'baggage', parts.join(','));
  }
}

/**
 * W3C Baggage members from the `baggage` header lines: `key=value` pairs (percent-decoded, trimmed; a
 * member with an empty key or value, or a malformed encoding, is skipped), properties after `;` kept as
 * metadata, at most 180 members of at most 4096 characters and 8192 in all.
 */
function parseBaggage(lines: readonly string[]): Map<string, BaggageEntry> {
  const entries = new Map<string, BaggageEntry>();
  let size = 0;
  for (const line of lines) {
    for (const member of line.split(',')) {
      if (entries.size >= MAX_BAGGAGE_ENTRIES) return entries;
      if (member.length === 0 || member.length > MAX_BAGGAGE_MEMBER_LENGTH) continue;
      const semicolon = member.indexOf(';');
      const pair = semicolon === -1 ? member : member.slice(0, semicolon);
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const rawKey = pair.slice(0, eq).trim();
      const rawValue = pair.slice(eq + 1).trim();
      if (rawKey.length === 0 || rawValue.length === 0) continue;
      let key: string;
      let value: string;
      try {
        key = decodeURIComponent(rawKey);
        value = decodeURIComponent(rawValue);
      } catch {
        continue; // malformed percent-encoding: skip the member, as W3C Baggage asks
      }
      const added = (entries.size === 0 ? 0 : 1) + member.length;
      if (size + added > MAX_BAGGAGE_LENGTH) return entries;
      size += added;
      const properties =
        semicolon === -1 || semicolon === member.length - 1 ? undefined : member.slice(semicolon + 1);
      entries.set(
        key,
        properties === undefined
          ? { value }
          : { value, metadata: baggageEntryMetadataFromString(properties) },
      );
    }
  }
  return entries;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function extractW3C(base: Context, carrier: Carrier): Context {
  let ctx = base;
  const traceparent = first(getter.get(carrier, 'traceparent'))?.trim();
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (match !== null) {
    const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
    const spanContext = {
      traceId,
      spanId,
      traceFlags: Number.parseInt(flags, 16),
      isRemote: true,
    };
    if (version !== 'ff' && !(version === '00' && traceparent !== undefined && traceparent.length !== 55)) {
      if (isSpanContextValid(spanContext)) {
        const state = first(getter.get(carrier, 'tracestate'));
        ctx = trace.setSpanContext(
          ctx,
          state !== undefined && state.length <= 512
            ? { ...spanContext, traceState: createTraceState(state) }
            : spanContext,
        );
      }
    }
  }
  const header = getter.get(carrier, 'baggage');
  const entries = parseBaggage(Array.isArray(header) ? header : header === undefined ? [] : [header]);
  if (entries.size > 0) {
    ctx = propagation.setBaggage(ctx, propagation.createBaggage(Object.fromEntries(entries)));
  }
  return ctx;
}
