/**
 * Every error code Writ raises. Codes are stable across releases: match on `error.code`, never on the
 * message.
 *
 * | code | raised when | tool ran? |
 * | --- | --- | --- |
 * | `WRIT_INPUT_INVALID` | tool arguments fail the tool's input schema | no |
 * | `WRIT_POLICY_DENIED` | the policy decision is `deny` | no |
 * | `WRIT_PDP_UNAVAILABLE` | the policy engine failed, timed out or answered garbage (fail closed) | no |
 * | `WRIT_POLICY_INVALID` | a policy or schema file does not parse or validate (with file, line and column) | no |
 * | `WRIT_APPROVAL_REJECTED` | a required human approval was refused, expired, mis-bound or unavailable | no |
 * | `WRIT_APPROVAL_PENDING` | suspend mode: the call waits for an approval answered elsewhere (`details`: bindingHash, expiresAt, callId, taskId); run it again once answered | no |
 * | `WRIT_APPROVAL_NOT_FOUND` | answering an approval: no open approval has that binding hash, or a prefix names several (`details.reason`: `unknown`, `ambiguous`) | no |
 * | `WRIT_APPROVAL_CLOSED` | answering an approval: it expired, or someone answered it first (`details.reason`: `expired`, `already_answered`); nothing is recorded | no |
 * | `WRIT_ALREADY_EXECUTED` | the call already ran elsewhere and the shared call ledger keeps only its result digest (`details.resultDigest`) | yes, once, before |
 * | `WRIT_STORE_TAMPERED` | a row of a shared store (call ledger, approvals) fails its signature: edited outside Writ | no |
 * | `WRIT_IDENTITY_INVALID` | a requester or workload credential could not be verified | no |
 * | `WRIT_IDENTITY_UNAVAILABLE` | the identity source (Workload API, OIDC discovery/JWKS) could not be reached | no |
 * | `WRIT_TOKEN_INVALID` | a token is malformed, badly signed, uses a refused algorithm or header, or lacks a required claim | no |
 * | `WRIT_TOKEN_EXPIRED` / `WRIT_TOKEN_NOT_YET_VALID` | a token is past `exp`, or its `nbf`/`iat` lies in the future | no |
 * | `WRIT_TOKEN_REVOKED` | a token was revoked (its task ended) | no |
 * | `WRIT_AUDIENCE_MISMATCH` | a token was presented to the wrong audience | no |
 * | `WRIT_ISSUER_MISMATCH` | a token comes from an unexpected issuer or SPIFFE trust domain | no |
 * | `WRIT_SPIFFE_ID_INVALID` | a SPIFFE ID breaks the SPIFFE ID rules | no |
 * | `WRIT_SCOPE_EXCEEDED` | a delegation asked for scope its parent does not hold, or a credential came back wider | no |
 * | `WRIT_CREDENTIAL_UNAVAILABLE` | no credential could be issued for the call | no |
 * | `WRIT_AUDIT_UNAVAILABLE` | the audit sink did not acknowledge the decision record | no |
 * | `WRIT_NO_TASK` | a call or delegation happened outside `writ.task` where one is required | no |
 * | `WRIT_ABORTED` | the caller's `AbortSignal` fired before the tool ran | no |
 * | `WRIT_MIDDLEWARE_INVALID` | a middleware called `next()` twice or returned nothing | no |
 * | `WRIT_OPTIONS_INVALID` | options given to a Writ function are invalid | no |
 * | `WRIT_NOT_CONFIGURED` | a free function found no Writ instance to run on | no |
 * | `WRIT_TOOL_FAILED` | the tool itself threw (only used when a non-Error was thrown) | yes |
 * | `WRIT_INTERNAL` | a bug in Writ; please report it | unknown |
 *
 * @example
 * ```ts
 * function httpStatus(code: WritErrorCode): number {
 *   switch (code) {
 *     case 'WRIT_INPUT_INVALID':
 *       return 400;
 *     case 'WRIT_POLICY_DENIED':
 *     case 'WRIT_APPROVAL_REJECTED':
 *     case 'WRIT_SCOPE_EXCEEDED':
 *       return 403;
 *     case 'WRIT_PDP_UNAVAILABLE':
 *     case 'WRIT_AUDIT_UNAVAILABLE':
 *       return 503;
 *     default:
 *       return 500;
 *   }
 * }
 * ```
 */
export type WritErrorCode =
  | 'WRIT_INPUT_INVALID'
  | 'WRIT_POLICY_DENIED'
  | 'WRIT_PDP_UNAVAILABLE'
  | 'WRIT_POLICY_INVALID'
  | 'WRIT_APPROVAL_REJECTED'
  | 'WRIT_APPROVAL_PENDING'
  | 'WRIT_APPROVAL_NOT_FOUND'
  | 'WRIT_APPROVAL_CLOSED'
  | 'WRIT_ALREADY_EXECUTED'
  | 'WRIT_STORE_TAMPERED'
  | 'WRIT_IDENTITY_INVALID'
  | 'WRIT_IDENTITY_UNAVAILABLE'
  | 'WRIT_TOKEN_INVALID'
  | 'WRIT_TOKEN_EXPIRED'
  | 'WRIT_TOKEN_NOT_YET_VALID'
  | 'WRIT_TOKEN_REVOKED'
  | 'WRIT_AUDIENCE_MISMATCH'
  | 'WRIT_ISSUER_MISMATCH'
  | 'WRIT_SPIFFE_ID_INVALID'
  | 'WRIT_SCOPE_EXCEEDED'
  | 'WRIT_CREDENTIAL_UNAVAILABLE'
  | 'WRIT_AUDIT_UNAVAILABLE'
  | 'WRIT_NO_TASK'
  | 'WRIT_ABORTED'
  | 'WRIT_MIDDLEWARE_INVALID'
  | 'WRIT_OPTIONS_INVALID'
  | 'WRIT_NOT_CONFIGURED'
  | 'WRIT_TOOL_FAILED'
  | 'WRIT_INTERNAL';

/**
 * All codes, for exhaustive checks and documentation.
 *
 * @example
 * ```ts
 * const isWritErrorCode = (value: unknown): value is WritErrorCode =>
 *   (WRIT_ERROR_CODES as readonly unknown[]).includes(value);
 * isWritErrorCode(body.code); // e.g. reading an error another service sent as JSON
 * ```
 */
export const WRIT_ERROR_CODES: readonly WritErrorCode[] = Object.freeze([
  'WRIT_INPUT_INVALID',
  'WRIT_POLICY_DENIED',
  'WRIT_PDP_UNAVAILABLE',
  'WRIT_POLICY_INVALID',
  'WRIT_APPROVAL_REJECTED',
  'WRIT_APPROVAL_PENDING',
  'WRIT_APPROVAL_NOT_FOUND',
  'WRIT_APPROVAL_CLOSED',
  'WRIT_ALREADY_EXECUTED',
  'WRIT_STORE_TAMPERED',
  'WRIT_IDENTITY_INVALID',
  'WRIT_IDENTITY_UNAVAILABLE',
  'WRIT_TOKEN_INVALID',
  'WRIT_TOKEN_EXPIRED',
  'WRIT_TOKEN_NOT_YET_VALID',
  'WRIT_TOKEN_REVOKED',
  'WRIT_AUDIENCE_MISMATCH',
  'WRIT_ISSUER_MISMATCH',
  'WRIT_SPIFFE_ID_INVALID',
  'WRIT_SCOPE_EXCEEDED',
  'WRIT_CREDENTIAL_UNAVAILABLE',
  'WRIT_AUDIT_UNAVAILABLE',
  'WRIT_NO_TASK',
  'WRIT_ABORTED',
  'WRIT_MIDDLEWARE_INVALID',
  'WRIT_OPTIONS_INVALID',
  'WRIT_NOT_CONFIGURED',
  'WRIT_TOOL_FAILED',
  'WRIT_INTERNAL',
]);

const MARKER = Symbol.for('writ.error');

/**
 * Options for {@link WritError}.
 *
 * @example
 * ```ts
 * const options: WritErrorOptions = { cause: error, details: { endpoint: 'https://pdp.example.com/access/v1/evaluation', status: 502 } };
 * throw new WritError('WRIT_PDP_UNAVAILABLE', 'the AuthZEN PDP answered 502', options);
 * ```
 */
export interface WritErrorOptions {
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown;
  /**
   * Structured, log-safe facts about the failure (never secrets, never raw tool arguments).
   * Shown to models by adapters, so keep it free of anything the model must not see.
   */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error class Writ throws. Check with {@link WritError.isInstance} rather than `instanceof`, which
 * fails when two copies of `@writ/core` are installed.
 *
 * @example
 * ```ts
 * try {
 *   await refund.execute({ orderId: '42', amount: 900 });
 * } catch (error) {
 *   if (WritError.isInstance(error) && error.code === 'WRIT_POLICY_DENIED') {
 *     console.log('refused:', error.message, error.details);
 *   }
 * }
 * ```
 */
export class WritError extends Error {
  /** Stable, machine-readable code. */
  readonly code: WritErrorCode;
  /** Structured, log-safe facts about the failure. */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: WritErrorCode, message: string, options: WritErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WritError';
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
    Object.defineProperty(this, MARKER, { value: true });
  }

  /**
   * True for any `WritError`, including one created by another copy of `@writ/core`.
   *
   * @example
   * ```ts
   * if (WritError.isInstance(error, 'WRIT_SCOPE_EXCEEDED')) narrowTheRequest();
   * ```
   */
  static isInstance(error: unknown, code?: WritErrorCode): error is WritError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true &&
      (code === undefined || (error as WritError).code === code)
    );
  }

  /** A plain, log-safe view (name, code, message, details). The cause is not included. */
  toJSON(): { name: string; code: WritErrorCode; message: string; details: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, details: { ...this.details } };
  }
}

/**
 * Converts anything thrown into a {@link WritError}, keeping the original as `cause`. A `WritError` is
 * returned unchanged.
 *
 * @example
 * ```ts
 * const error = toWritError(caught, 'WRIT_PDP_UNAVAILABLE', 'policy engine failed');
 * ```
 */
export function toWritError(
  error: unknown,
  code: WritErrorCode = 'WRIT_INTERNAL',
  message?: string,
): WritError {
  if (WritError.isInstance(error)) return error;
  const text = message ?? (error instanceof Error ? error.message : String(error));
  return new WritError(code, text, { cause: error });
}
