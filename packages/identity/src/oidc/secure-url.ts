import { z } from 'zod';

/** Host names that may be reached over plain `http` (tests, local development). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a URL host name is a loopback host (`localhost`, `127.0.0.1` or `[::1]`, as the WHATWG URL
 * parser spells them).
 *
 * @internal
 * @example
 * ```ts
 * isLoopbackHost(new URL('http://127.0.0.1:8080').hostname); // true
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/**
 * Why a URL may not be used for an identity endpoint, or `undefined` when it may: it must be an absolute
 * `https` URL (plain `http` only on a loopback host), without user info or fragment, and, for an issuer,
 * without a query either.
 *
 * @internal
 * @example
 * ```ts
 * endpointUrlProblem('http://login.example.com'); // 'must use https (plain http is allowed for loopback hosts only)'
 * endpointUrlProblem('https://login.example.com/token'); // undefined
 * ```
 */
export function endpointUrlProblem(value: string, options: { issuer?: boolean } = {}): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return 'must use https (plain http is allowed for loopback hosts only)';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain user info';
  if (url.hash !== '' || value.includes('#')) return 'must not contain a fragment';
  if (options.issuer === true && (url.search !== '' || value.includes('?')))
    return 'must not contain a query';
  return undefined;
}

/**
 * A zod schema for an endpoint URL that passes {@link endpointUrlProblem}.
 *
 * @internal
 * @example
 * ```ts
 * const schema = z.strictObject({ tokenEndpoint: endpointUrl() });
 * ```
 */
export function endpointUrl(options: { issuer?: boolean } = {}): z.ZodType<string> {
  return z.string().superRefine((value, ctx) => {
    const problem = endpointUrlProblem(value, options);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}
