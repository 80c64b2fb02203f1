import { httpUrlProblem } from '@writ/core/internal';
import { z } from 'zod';

/**
 * Why a URL may not be used as the base URL of an OPA server, or `undefined` when it may: an absolute
 * `https` URL (plain `http` on loopback hosts, or anywhere with `allowInsecureHttp`), without user info,
 * query or fragment. A path prefix (`https://pdp.example.com/opa`) is kept.
 *
 * @internal
 * @example
 * ```ts
 * opaBaseUrlProblem('http://opa.internal:8181', { allowInsecureHttp: false }); // 'must use https (plain http only on loopback hosts, or with allowInsecureHttp)'
 * opaBaseUrlProblem('http://127.0.0.1:8181', { allowInsecureHttp: false }); // undefined
 * ```
 */
export function opaBaseUrlProblem(
  value: string,
  options: { readonly allowInsecureHttp: boolean },
): string | undefined {
  return httpUrlProblem(value, { allowInsecureHttp: options.allowInsecureHttp, allowQuery: false });
}

/**
 * Why a document path may not be queried, or `undefined` when it may: slash-separated, non-empty
 * segments (`writ/authz`, `writ/authz/allow`), none of them `.` or `..`, no leading or trailing slash.
 *
 * @internal
 * @example
 * ```ts
 * opaPathProblem('writ/../admin'); // 'segments must not be "." or ".."'
 * ```
 */
export function opaPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'must name a document (e.g. "writ/authz")';
  const segments = path.split('/');
  if (segments.some((segment) => segment.length === 0)) {
    return 'must be slash-separated non-empty segments, without leading or trailing "/"';
  }
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    return 'segments must not be "." or ".."';
  }
  try {
    encodeURIComponent(path);
  } catch {
    return 'must be well-formed Unicode';
  }
  return undefined;
}

/**
 * zod schema of a `path` option (see {@link opaPathProblem}).
 *
 * @internal
 * @example
 * ```ts
 * const schema = z.strictObject({ path: opaPathSchema });
 * ```
 */
export const opaPathSchema = z
  .string()
  .max(1024)
  .superRefine((value, ctx) => {
    const problem = opaPathProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * The Data API URL of a document: `<base>/v1/data/<segments, each percent-encoded>`, with
 * `?provenance=true` when asked. Inputs must have passed {@link opaBaseUrlProblem} and {@link opaPathProblem}.
 *
 * @internal
 * @example
 * ```ts
 * opaDataUrl('http://127.0.0.1:8181/', 'writ/authz', { provenance: true });
 * // 'http://127.0.0.1:8181/v1/data/writ/authz?provenance=true'
 * ```
 */
export function opaDataUrl(base: string, path: string, options: { provenance: boolean }): string {
  const url = new URL(base);
  const prefix = url.pathname.replace(/\/+$/, '');
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  const query = options.provenance ? '?provenance=true' : '';
  return `${url.origin}${prefix}/v1/data/${encoded}${query}`;
}
