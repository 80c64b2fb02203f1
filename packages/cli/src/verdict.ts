import type { VerificationState, VerifyResult } from '@writ/audit';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import type { Colors } from './io.js';
import { safeTerminalText } from './terminal-text.js';

/**
 * The verdict on a log as every command that reads one reports it (`verify`, `explain`, `report`): the
 * JSON document, the exit code of its state, and the lines that say what it proves. A log is never
 * called verified when its key was read from the log itself.
 */

/**
 * `T` as a JSON document: every key present, absent values `null`.
 *
 * @example
 * ```ts
 * const doc: JsonDocument<{ a: number; b?: string }> = { a: 1, b: null };
 * ```
 */
type JsonDocument<T> = {
  readonly [K in keyof T]-?: undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K];
};

/**
 * The `--json` output of `writ verify` (one document on stdout), and the `verification` of `writ
 * explain --json`: `@writ/audit`'s `VerifyResult` (`ok`, `state`, `origin`, `records`, `checkpoints`,
 * `sealed`, `covered`, `root`, `keyPinned`, `anchorSize`, `witnesses`, `firstBadIndex`, `reason`,
 * `unproven`, `warnings`) with absent values as `null` (`witnesses` is `null` unless `--witness` was
 * given; then `{ ok, threshold, size, cosignatures: [{ name, keyId, timestamp }], problem }`), so every key is always present, plus the `log` verified:
 * its directory, or `postgres://host:port/db#<log id>` (no credentials). Read `state`: `ok` alone is
 * true for an `unpinned` log too.
 *
 * @example
 * ```ts
 * const result = JSON.parse(stdout) as VerifyJson;
 * if (result.state !== 'anchored') console.error(`${result.state}: ${result.reason ?? result.unproven.join('; ')}`);
 * ```
 */
export type VerifyJson = JsonDocument<VerifyResult> & { readonly log: string };

/**
 * The exit code of each verification state: 0 anchored, 4 unanchored, 5 unpinned, 1 failed.
 *
 * @example
 * ```ts
 * const code = STATE_EXIT_CODES[result.state];
 * ```
 */
export const STATE_EXIT_CODES: Readonly<Record<VerificationState, ExitCode>> = Object.freeze({
  anchored: EXIT_CODES.ok,
  unanchored: EXIT_CODES.unanchored,
  unpinned: EXIT_CODES.unverified,
  failed: EXIT_CODES.failed,
});

/**
 * The exit code of a verdict: its state's ({@link STATE_EXIT_CODES}), except that an anchored log with
 * records no checkpoint signature covers yet exits 4, not 0: 0 means every record is proven.
 *
 * @example
 * ```ts
 * return verdictExitCode(result);
 * ```
 */
export function verdictExitCode(v: Pick<VerifyResult, 'state' | 'covered' | 'records'>): ExitCode {
  const code = STATE_EXIT_CODES[v.state];
  return code === EXIT_CODES.ok && v.covered < v.records ? EXIT_CODES.unanchored : code;
}

/**
 * A verdict as a {@link VerifyJson} document.
 *
 * @example
 * ```ts
 * ctx.printJson(verdictJson(await verifyLog(dir, options), dir));
 * ```
 */
export function verdictJson(result: VerifyResult, log: string): VerifyJson {
  const { ok, state, anchorSize, firstBadIndex, reason, unproven, warnings, ...verified } = result;
  return {
    ok,
    state,
    log,
    ...verified,
    anchorSize: anchorSize ?? null,
    witnesses: result.witnesses ?? null,
    firstBadIndex: firstBadIndex ?? null,
    reason: reason ?? null,
    unproven: [...unproven],
    warnings: [...warnings],
  };
}

/**
 * The first line of a verdict: what the state proves, with the log's `label` when given. Text from the
 * log is escaped for the terminal. Never says "verified" of a log whose key was not pinned.
 *
 * @example
 * ```ts
 * ctx.print(verdictHeadline(json, ctx.out, json.log)); // ✔ verified, unanchored .writ/audit: 40 records, …
 * ```
 */
export function verdictHeadline(v: VerifyJson, c: Colors, label?: string): string {
  const at = label === undefined ? '' : ` ${safeTerminalText(label)}`;
  const counts = `${v.records} records, ${v.checkpoints} checkpoint(s), ${v.sealed} sealed`;
  switch (v.state) {
    case 'anchored':
      return `${c.green(c.bold('✔ verified and anchored'))}${at}: ${counts}; the ${v.witnesses?.ok === true ? 'witnessed' : 'given'} checkpoint covers ${v.anchorSize}`;
    case 'unanchored':
      return `${c.yellow(c.bold('✔ verified, unanchored'))}${at}: ${counts}`;
    case 'unpinned':
      return `${c.yellow(c.bold('⚠ unpinned'))}${at}: ${v.records} records consistent with the key the log names itself, which proves nothing`;
    case 'failed':
      return `${c.red(c.bold('✖ does not verify'))}${at}: first bad record ${v.firstBadIndex}: ${safeTerminalText(v.reason ?? '')}`;
  }
}

/**
 * The lines after the headline: what the state cannot rule out, then the warnings.
 *
 * @example
 * ```ts
 * for (const line of verdictDetails(json, ctx.out)) ctx.print(line);
 * ```
 */
export function verdictDetails(v: VerifyJson, c: Colors): string[] {
  const out: string[] = [];
  if (v.witnesses !== null) {
    const w = v.witnesses;
    const names = w.cosignatures.map((s) => `${s.name} (${new Date(s.timestamp * 1000).toISOString()})`);
    const line = `  witnesses ${w.cosignatures.length} valid cosignature(s), ${w.threshold} required${names.length > 0 ? `: ${names.join(', ')}` : ''}`;
    out.push(safeTerminalText(line));
  }
  if (v.state !== 'failed')
    for (const u of v.unproven) out.push(`  ${c.yellow('cannot rule out:')} ${safeTerminalText(u)}`);
  for (const w of v.warnings) out.push(`${c.yellow('⚠ warning:')} ${safeTerminalText(w)}`);
  return out;
}
