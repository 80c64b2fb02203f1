import type { StoredLine } from '../log-reader.js';
import { leafHash } from '../merkle/hashing.js';
import { createLineVerifier } from './line-verifier.js';
import type { VerifyLinesOptions, VerifyResult } from './verify-options.js';

/**
 * The checks of {@link verifyLog} over any source of stored lines in index order (a file log's segments,
 * PostgreSQL rows, …).
 *
 * @example
 * ```ts
 * const result = await verifyLines(rowsAsLines(), { origin, recordedVerifierKey, verifierKey: pinned });
 * ```
 */
export async function verifyLines(
  source: AsyncIterable<StoredLine>,
  options: VerifyLinesOptions,
): Promise<VerifyResult> {
  const verifier = createLineVerifier(options);
  const early = verifier.start();
  if (early !== undefined) return early;
  for await (const line of source) {
    const verdict = verifier.push(line, line.complete ? leafHash(line.bytes) : undefined);
    if (verdict !== undefined) return verdict;
  }
  return verifier.finish();
}
