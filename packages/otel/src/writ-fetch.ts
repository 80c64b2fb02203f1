import {
  type Attributes,
  type Context,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { injectContext } from '@writ/core';
import {
  activeContext,
  hopCredential,
  parseReceiptHeader,
  parseRefusalHeader,
  RECEIPT_HEADER,
  REFUSAL_HEADER,
  recordRemoteCall,
  runInContext,
} from '@writ/core/adapter';
import { type FetchLike, validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import { OTEL_DEFAULTS } from './defaults.js';
import { VERSION } from './version.js';

/**
 * A `fetch` that traces the request and carries Writ's context; same call shape as `globalThis.fetch`.
 *
 * @example
 * ```ts
 * const billingFetch: WritFetch = createWritFetch({ audience: 'https://billing.internal' });
 * const invoice = await billingFetch(new Request('https://billing.internal/invoices/7'));
 * ```
 */
export type WritFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * What a `spanName` function is told about the request.
 *
 * @example
 * ```ts
 * const spanName = ({ method, url }: WritFetchRequestInfo) => `${method} ${url?.host ?? 'unknown'}`;
 * const hostFetch = createWritFetch({ spanName });
 * ```
 */
export interface WritFetchRequestInfo {
  /** The request method as sent (`GET`, `POST`, …). */
  readonly method: string;
  /** The target with credentials and query values replaced by `REDACTED`; `undefined` if it did not parse. */
  readonly url: URL | undefined;
}

/**
 * Options of {@link createWritFetch}. Every field is optional; see {@link OTEL_DEFAULTS}.
 *
 * @example
 * ```ts
 * const options: CreateWritFetchOptions = { fetch: undiciFetch, audience: 'https://payments.internal', spanName: 'payments call' };
 * const paymentsFetch = createWritFetch(options);
 * ```
 */
export interface CreateWritFetchOptions {
  /** The fetch that sends the request. @default globalThis.fetch */
  fetch?: FetchLike;
  /**
   * The receiving service's audience (its resource URI): each request inside a task carries, in the
   * `Txn-Token` header, a credential issued for that audience (`hopCredential`: the tool call's own when it
   * is for that audience, else one the task's broker mints or exchanges, revoked with the task's run).
   * The task token itself never leaves this process. Use one fetch per destination. @default none: no
   * credential is sent
   */
  audience?: string | URL;
  /** Name of the CLIENT span, or a function building it. @default `HTTP <method>` */
  spanName?: string | ((request: WritFetchRequestInfo) => string);
  /** Tracer for the CLIENT spans. @default trace.getTracer(OTEL_DEFAULTS.tracerName, VERSION) at each call */
  tracer?: Tracer;
}

const optionsSchema = z.strictObject({
  fetch: z
    .custom<FetchLike>((v) => typeof v === 'function', { message: 'must be a fetch function' })
    .optional(),
  audience: z.union([z.string().min(1), z.instanceof(URL)]).optional(),
  spanName: z
    .custom<string | ((request: WritFetchRequestInfo) => string)>(
      (v) => typeof v === 'function' || (typeof v === 'string' && v.length > 0 && v.length <= 256),
      { message: 'must be a non-empty string or a function ({ method, url }) => string' },
    )
    .optional(),
  tracer: z
    .custom<Tracer>((v) => typeof v === 'object' && v !== null && 'startSpan' in v, {
      message: 'must be an OpenTelemetry Tracer',
    })
    .optional(),
});

// HTTP semantic conventions: the methods `http.request.method` may carry; others become `_OTHER`.
const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);
// The methods Fetch upper-cases itself; any other method is sent exactly as written.
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };
const REDACTED = 'REDACTED';

/**
 * Creates a `fetch` for calls a tool makes to other services. Each request gets an HTTP CLIENT span
 * (`HTTP <method>`, child of the active span, usually the tool's `execute_tool` span) with
 * `http.request.method`, `url.full` (credentials and query values redacted), `server.address`,
 * `server.port` and `http.response.status_code`; the request carries `traceparent`/`tracestate` and W3C
 * `baggage` with the correlation id and, with `audience`, a credential for that service in `Txn-Token`. Headers
 * are written to a copy: the caller's `init` and `Headers` are never touched. Network failures are
 * recorded on the span and rethrown; HTTP error statuses mark the span as failed and are returned as
 * usual. Nested auto-instrumentation of the same request (undici) is suppressed to avoid duplicate spans.
 *
 * @example
 * ```ts
 * const paymentsFetch = createWritFetch({ audience: 'https://payments.internal' });
 * const refund = writ.tool({ name: 'refund_order', input, risk: 'high', execute: async (args) => {
 *   const res = await paymentsFetch('https://payments.internal/refunds', { method: 'POST', body: JSON.stringify(args) });
 *   return res.json();
 * } });
 * ```
 */
export function createWritFetch(options?: CreateWritFetchOptions): WritFetch {
  const parsed = validateOptions(optionsSchema, options, 'createWritFetch');
  const audience = parsed.audience === undefined ? undefined : String(parsed.audience);
  const { spanName, tracer } = parsed;
  const send: FetchLike = parsed.fetch ?? ((input, init) => globalThis.fetch(input, init));

  return async function writFetch(input, init) {
    const request = prepare(input, init);
    const target = parseUrl(request.url);
    const method = sentMethod(request.init.method);
    const known = KNOWN_METHODS.has(method);
    const safeUrl = target === undefined ? undefined : redactUrl(target);
    const name =
      typeof spanName === 'string'
        ? spanName
        : typeof spanName === 'function'
          ? spanName({ method, url: safeUrl === undefined ? undefined : new URL(safeUrl) })
          : known
            ? `HTTP ${method}`
            : 'HTTP';
    const attributes: Attributes = { 'http.request.method': known ? method : '_OTHER' };
    if (!known) attributes['http.request.method_original'] = method;
    if (target !== undefined && safeUrl !== undefined) {
      attributes['url.full'] = safeUrl;
      attributes['url.scheme'] = target.protocol.slice(0, -1);
      attributes['server.address'] = target.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = target.port === '' ? DEFAULT_PORTS[target.protocol] : Number(target.port);
      if (port !== undefined) attributes['server.port'] = port;
    }

    // the hop's credential first: a broker refusal sends nothing (and starts no span)
    const credential = audience === undefined ? undefined : await hopCredential(audience);
    const parent = activeContext();
    const span = (tracer ?? trace.getTracer(OTEL_DEFAULTS.tracerName, VERSION)).startSpan(
      name,
      { kind: SpanKind.CLIENT, attributes },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    injectContext(request.init.headers, { context: ctx, credential });
    try {
      const response = await runInContext(suppressTracing(ctx), () => send(request.url, request.init));
      span.setAttribute('http.response.status_code', response.status);
      recordAnswer(
        parent,
        response,
        audience ?? target?.origin ?? 'unknown',
        `${method} ${target?.pathname ?? '?'}`,
      );
      if (response.status >= 400) {
        span.setAttribute('error.type', String(response.status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return response;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      span.recordException(failure);
      span.setAttribute('error.type', failure.name);
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
      throw error;
    } finally {
      span.end();
    }
  };
}

/**
 * What the callee said about its own records (`Writ-Receipt`, `Writ-Refusal`), recorded in the outcome of
 * the Writ tool call this request is made from: the callee's claims, as received.
 */
function recordAnswer(parent: Context, response: Response, by: string, tool: string): void {
  const receiptHeader = response.headers.get(RECEIPT_HEADER);
  const refusalHeader = response.headers.get(REFUSAL_HEADER);
  if (receiptHeader === null && refusalHeader === null) return;
  const receipt = receiptHeader === null ? undefined : parseReceiptHeader(receiptHeader);
  const refused = refusalHeader === null ? undefined : parseRefusalHeader(refusalHeader);
  recordRemoteCall(
    {
      via: 'http',
      by,
      tool,
      ...(receipt === undefined ? {} : { receipt }),
      ...(refused === undefined
        ? {}
        : { refusal: typeof refused === 'string' ? { code: refused } : refused }),
    },
    parent,
  );
}

/**
 * `createWritFetch()` with the defaults: traces and carries trace context and baggage (with the correlation
 * id), never the task token.
 *
 * @example
 * ```ts
 * import { writFetch } from '@writ/otel';
 * const lookup = writ.tool({ name: 'lookup_order', input, risk: 'low', execute: async ({ orderId }) =>
 *   (await writFetch(`https://orders.internal/orders/${orderId}`)).json() });
 * ```
 */
export const writFetch: WritFetch = createWritFetch();

type PreparedInit = RequestInit & { headers: Headers; duplex?: 'half' };

/** The URL and a fresh init (with its own `Headers`) for the request, leaving the caller's objects untouched. */
function prepare(
  input: string | URL | Request,
  init: RequestInit | undefined,
): { url: string; init: PreparedInit } {
  if (input instanceof Request) {
    const request = init === undefined ? input : new Request(input, init);
    const copy: PreparedInit = {
      method: request.method,
      headers: new Headers(request.headers),
      signal: request.signal,
      redirect: request.redirect,
      credentials: request.credentials,
      cache: request.cache,
      integrity: request.integrity,
      keepalive: request.keepalive,
      referrer: request.referrer,
      referrerPolicy: request.referrerPolicy,
    };
    if (request.body !== null) {
      copy.body = request.body;
      copy.duplex = 'half';
    }
    return { url: request.url, init: copy };
  }
  return {
    url: typeof input === 'string' ? input : input.href,
    init: { ...init, headers: new Headers(init?.headers) },
  };
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function sentMethod(method: string | undefined): string {
  if (method === undefined) return 'GET';
  const upper = method.toUpperCase();
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

/** `url.full` without secrets: user info and every query value become `REDACTED`; the fragment is dropped. */
function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.username !== '' || copy.password !== '') {
    copy.username = REDACTED;
    copy.password = REDACTED;
  }
  copy.hash = '';
  for (const key of new Set(copy.searchParams.keys())) copy.searchParams.set(key, REDACTED);
  return copy.href;
}
