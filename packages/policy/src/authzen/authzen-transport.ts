import { WritError } from '@writ/core';
import { type FetchLike, type JsonResponse, safeUrl } from '@writ/core/internal';
import { clip, isJsonObject } from '../pdp/pdp-answer.js';
import { fetchPdpJson, pdpUnavailable } from '../pdp/pdp-fetch.js';

/**
 * Headers sent to the PDP with every request: a record, or a function called before each request (to
 * hand out a fresh token). Never echoed in errors or decisions.
 *
 * @example
 * ```ts
 * const headers: AuthZenHeaders = async () => ({ authorization: `Bearer ${await tokens.get()}` });
 * ```
 */
export type AuthZenHeaders =
  | Readonly<Record<string, string>>
  | (() => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);

/**
 * Options of {@link createAuthZenTransport}: the engine's settings for talking to its PDP.
 *
 * @internal
 * @example
 * ```ts
 * const options: AuthZenTransportOptions = { name: 'authzen', timeoutMs: 1000, maxBytes: 1_048_576, headers };
 * ```
 */
export interface AuthZenTransportOptions {
  /** The engine's name, at the start of messages. */
  readonly name: string;
  readonly headers?: AuthZenHeaders | undefined;
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike | undefined;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/**
 * How an AuthZEN engine talks to its PDP.
 *
 * @internal
 * @example
 * ```ts
 * const answer = await transport.post(endpoint, body, requestId, signal, 'authzen: AuthZEN evaluation');
 * ```
 */
export interface AuthZenTransport {
  /** The configured headers for one request (a headers function is called again every time). */
  headers(): Promise<Headers>;
  /**
   * POSTs `body` as JSON with the configured headers and `X-Request-ID: requestId` (which no configured
   * header can replace), and returns the answer, a JSON object; anything else throws.
   */
  post(
    url: string,
    body: unknown,
    requestId: string,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<Record<string, unknown>>;
}

/**
 * The HTTP side of an AuthZEN engine. Every failure is `WRIT_PDP_UNAVAILABLE` with `details.reason`
 * (`headers_failed`, `invalid_request`, `timeout`, `network`, `response_too_large`, `http_status`,
 * `empty_body`, `invalid_json`, `invalid_response`) and the `requestId`; a non-2xx answer's `message` or
 * `error` is kept as `details.pdpMessage` (200 characters at most) with every configured header value
 * blanked out, in case the PDP echoes a credential. The caller's abort is `WRIT_ABORTED`.
 *
 * @internal
 * @example
 * ```ts
 * const transport = createAuthZenTransport({ name: 'authzen', timeoutMs: 1000, maxBytes: 1_048_576 });
 * const answer = await transport.post(url, { subject, action, resource }, uuidv7(), signal, 'authzen: AuthZEN evaluation');
 * ```
 */
export function createAuthZenTransport(options: AuthZenTransportOptions): AuthZenTransport {
  const { name, fetch, timeoutMs, maxBytes } = options;
  const staticHeaders = typeof options.headers === 'function' ? undefined : { ...options.headers };
  const headerSource = typeof options.headers === 'function' ? options.headers : undefined;

  async function headers(): Promise<Headers> {
    if (headerSource === undefined) return new Headers(staticHeaders);
    try {
      return new Headers(await headerSource());
    } catch (error) {
      throw pdpUnavailable(`${name}: the headers function failed`, { reason: 'headers_failed' }, error);
    }
  }

  async function post(
    url: string,
    body: unknown,
    requestId: string,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = JSON.stringify(body);
    } catch (error) {
      throw pdpUnavailable(
        `${name}: the request is not JSON-serialisable`,
        { reason: 'invalid_request', requestId },
        error,
      );
    }
    const own = await headers();
    const sent = new Headers(own);
    sent.set('content-type', 'application/json');
    sent.set('accept', 'application/json');
    sent.set('x-request-id', requestId);
    let response: JsonResponse;
    try {
      response = await fetchPdpJson(
        url,
        { method: 'POST', headers: sent, body: text },
        { fetch, timeoutMs, signal, maxBytes, what },
      );
    } catch (error) {
      if (WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')) {
        throw new WritError(error.code, error.message, {
          details: { ...error.details, requestId },
          cause: error,
        });
      }
      throw error;
    }
    return answerObject(response, { url, requestId, what, secrets: own });
  }

  return { headers, post };
}

/** The answer of a 2xx response, a JSON object; anything else throws `WRIT_PDP_UNAVAILABLE`. */
function answerObject(
  response: JsonResponse,
  sent: { url: string; requestId: string; what: string; secrets: Headers },
): Record<string, unknown> {
  const { what } = sent;
  const details = { endpoint: safeUrl(sent.url), status: response.status, requestId: sent.requestId };
  if (response.status < 200 || response.status > 299) {
    const message = pdpMessage(response.json, sent.secrets);
    throw pdpUnavailable(`${what} answered HTTP ${response.status}`, {
      ...details,
      reason: 'http_status',
      ...(message === undefined ? {} : { pdpMessage: message }),
    });
  }
  if (!isJsonObject(response.json)) {
    const reason = response.empty
      ? 'empty_body'
      : response.json === undefined
        ? 'invalid_json'
        : 'invalid_response';
    throw pdpUnavailable(`${what} did not answer a JSON object`, { ...details, reason });
  }
  return response.json;
}

/**
 * A short error message from a PDP's error body (`{ message }` or `{ error }`), if any, with the value of
 * every configured header (and each word of it, e.g. a bearer token) blanked out in case the PDP echoes
 * credentials.
 */
function pdpMessage(json: unknown, secrets: Headers): string | undefined {
  if (!isJsonObject(json)) return undefined;
  let text =
    typeof json.message === 'string' ? json.message : typeof json.error === 'string' ? json.error : undefined;
  if (text === undefined) return undefined;
  for (const [, value] of secrets) {
    for (const secret of [value, ...value.split(/\s+/)]) {
      if (secret.length >= 6) text = text.split(secret).join('[redacted]');
    }
  }
  return clip(text, 200);
}
