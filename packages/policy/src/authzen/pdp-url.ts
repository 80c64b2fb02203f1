/** Host names that may be reached over plain `http` without opting in (tests, sidecars on the same host). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Options of {@link pdpUrlProblem}.
 *
 * @internal
 * @example
 * ```ts
 * pdpUrlProblem(pdp, { identifier: true, allowInsecureHttp: false } satisfies PdpUrlProblemOptions);
 * ```
 */
export interface PdpUrlProblemOptions {
  /** Accept plain `http` to any host, not only loopback ones. @default false */
  allowInsecureHttp?: boolean | undefined;
  /** The URL identifies the PDP itself: a query is not allowed either. @default false */
  identifier?: boolean | undefined;
}

/**
 * Why a URL may not be used to reach an AuthZEN PDP, or `undefined` when it may: an absolute `https`
 * URL (plain `http` only on a loopback host unless `allowInsecureHttp`), without user info or fragment,
 * and, for the PDP identifier, without a query.
 *
 * @internal
 * @example
 * ```ts
 * pdpUrlProblem('http://pdp.internal:3592'); // 'must use https (plain http is allowed for loopback hosts, or with allowInsecureHttp)'
 * pdpUrlProblem('https://pdp.example.com'); // undefined
 * ```
 */
export function pdpUrlProblem(value: string, options: PdpUrlProblemOptions = {}): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname.toLowerCase());
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  if (url.protocol === 'http:' && !loopback && options.allowInsecureHttp !== true) {
    return 'must use https (plain http is allowed for loopback hosts, or with allowInsecureHttp)';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain user info';
  if (url.hash !== '' || value.includes('#')) return 'must not contain a fragment';
  if (options.identifier === true && (url.search !== '' || value.includes('?'))) {
    return 'must not contain a query';
  }
  return undefined;
}

/**
 * The metadata URL of a PDP: the well-known suffix goes between the host and the path (RFC 8615), so
 * `https://pdp.example.com/tenant1` is described at
 * `https://pdp.example.com/.well-known/authzen-configuration/tenant1`.
 *
 * @internal
 * @example
 * ```ts
 * wellKnownUrl('https://pdp.example.com'); // 'https://pdp.example.com/.well-known/authzen-configuration'
 * ```
 */
export function wellKnownUrl(pdp: string): string {
  const url = new URL(pdp);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/authzen-configuration${path}`;
}

/**
 * An endpoint at a default path under the PDP's base URL (used when endpoints are given without
 * discovery).
 *
 * @internal
 * @example
 * ```ts
 * defaultEndpoint('https://pdp.example.com/', '/access/v1/evaluation'); // 'https://pdp.example.com/access/v1/evaluation'
 * ```
 */
export function defaultEndpoint(pdp: string, path: string): string {
  return `${pdp.replace(/\/+$/, '')}${path}`;
}
