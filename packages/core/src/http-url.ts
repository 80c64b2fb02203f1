/** Host names that may be reached over plain `http` without opting in (tests, sidecars on the same host). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a URL host name is a loopback host (`localhost`, `127.0.0.1` or `[::1]`, as the WHATWG URL
 * parser spells them).
 *
 * @example
 * ```ts
 * isLoopbackHost(new URL('http://127.0.0.1:8080').hostname); // true
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/**
 * Options of {@link httpUrlProblem}.
 *
 * @example
 * ```ts
 * const tokenEndpoint: HttpUrlProblemOptions = { allowQuery: false };
 * httpUrlProblem('https://login.example.com/token?tenant=a', tokenEndpoint); // 'must not contain a query'
 * httpUrlProblem('http://opa.internal:8181', { allowInsecureHttp: true }); // undefined
 * ```
 */
export interface HttpUrlProblemOptions {
  /** Accept plain `http` to any host, not only loopback ones. @default false */
  allowInsecureHttp?: boolean | undefined;
  /** Accept a query string. @default true */
  allowQuery?: boolean | undefined;
}

/**
 * Why a URL may not be used to reach a security service (identity provider, token endpoint, PDP), or
 * `undefined` when it may: an absolute `https` URL (plain `http` only on a loopback host, unless
 * `allowInsecureHttp`), without user info or fragment, and without a query when `allowQuery: false`.
 * The one rule Writ's HTTP clients share.
 *
 * @example
 * ```ts
 * httpUrlProblem('http://pdp.internal:3592'); // 'must use https (plain http is allowed for loopback hosts only)'
 * httpUrlProblem('https://login.example.com/token'); // undefined
 * ```
 */
export function httpUrlProblem(value: string, options: HttpUrlProblemOptions = {}): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  const plainAllowed =
    url.protocol === 'http:' && (isLoopbackHost(url.hostname) || options.allowInsecureHttp === true);
  if (url.protocol !== 'https:' && !plainAllowed) {
    return options.allowInsecureHttp === undefined
      ? 'must use https (plain http is allowed for loopback hosts only)'
      : 'must use https (plain http is allowed for loopback hosts, or with allowInsecureHttp)';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain user info';
  if (options.allowQuery === false && (url.search !== '' || value.includes('?')))
    return 'must not contain a query';
  if (url.hash !== '' || value.includes('#')) return 'must not contain a fragment';
  return undefined;
}
