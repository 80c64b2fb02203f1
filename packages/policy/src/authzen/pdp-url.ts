import { httpUrlProblem } from '@writ/core/internal';

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
  return httpUrlProblem(value, {
    allowInsecureHttp: options.allowInsecureHttp === true,
    allowQuery: options.identifier !== true,
  });
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
