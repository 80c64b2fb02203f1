/**
 * The exit codes of every `writ` command.
 *
 * | code | meaning |
 * | --- | --- |
 * | 0 | success: the log verifies and is anchored, the policies load, every policy case passes, the file was written |
 * | 1 | a check failed: the log does not verify, a policy is invalid, a policy case failed, nothing matched the explain query (or no approval, or several, matched a binding-hash prefix) |
 * | 2 | usage error: unknown command or option, missing or conflicting arguments |
 * | 3 | error: the command could not do its work (unreadable or malformed input, missing keys, an I/O failure) |
 * | 4 | verified, unanchored: every check passed with a pinned key, but nothing outside the log anchors it (`verify`, `explain`, `report`) |
 * | 5 | not verified: the key was read from the log itself (no `--key`), or the log was read `--unverified` |
 * | 6 | not a Writ log: the directory given holds no `log.json` and no record segments (empty, or something else) |
 * | 7 | refused, nothing answered: the approval expired or was answered first, or the approver's ID token did not verify (`approvals approve`, `approvals reject`) |
 *
 * @example
 * ```ts
 * import { EXIT_CODES } from '@writ/cli';
 * if (code === EXIT_CODES.failed) console.error('the log does not verify');
 * if (code === EXIT_CODES.unverified) console.error('pass the verifier key: --key or --key-file');
 * ```
 */
export const EXIT_CODES = Object.freeze({
  /** Success (for a log: verified with a pinned key and anchored). @default 0 */
  ok: 0,
  /** Verification failed, policy invalid or policy case failed, nothing found. @default 1 */
  failed: 1,
  /** Usage error. @default 2 */
  usage: 2,
  /** The command could not do its work (unreadable input, missing keys, I/O). @default 3 */
  error: 3,
  /**
   * The log verifies with a pinned key, but no checkpoint held outside it anchors it: a cut at a seal
   * or a rollback cannot be ruled out. @default 4
   */
  unanchored: 4,
  /** Nothing was verified against a pinned key (no `--key`, or `--unverified`). @default 5 */
  unverified: 5,
  /**
   * The path given is not a Writ log: not a directory, or a directory with no `log.json` and no record
   * segments (`verify`, `explain`, `report`, `tasks`, `calls`). @default 6
   */
  notALog: 6,
  /**
   * `writ approvals approve|reject` recorded nothing: the approval expired or someone answered it first,
   * or the approver's ID token did not verify (wrong audience or issuer, expired, unknown key). @default 7
   */
  refused: 7,
});

/**
 * One of {@link EXIT_CODES}.
 *
 * @example
 * ```ts
 * const code: ExitCode = EXIT_CODES.ok;
 * ```
 */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
