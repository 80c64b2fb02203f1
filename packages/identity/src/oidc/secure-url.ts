import { httpUrlProblem } from '@writ/core/internal';
import { z } from 'zod';

export { isLoopbackHost } from '@writ/core/internal';

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
  return httpUrlProblem(value, { allowQuery: options.issuer !== true });
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
