import { WritError } from '@writ/core';
import { readLines } from './log-reader.js';
import { leafHash, rootOf } from './merkle/hashing.js';
import { consistencyProof, inclusionProof } from './merkle/proofs.js';

/**
 * An inclusion proof for one record, against the tree of the first `size` records.
 *
 * @example
 * ```ts
 * const p: InclusionProofResult = await proveInclusion('.writ/audit', receipt.index);
 * const ok = verifyInclusion(
 *   Buffer.from(p.leafHash, 'hex'),
 *   p.index,
 *   p.size,
 *   p.proof.map((h) => Buffer.from(h, 'base64')),
 *   Buffer.from(p.root, 'base64'),
 * );
 * ```
 */
export interface InclusionProofResult {
  readonly index: number;
  readonly size: number;
  /** Hex leaf hash of the record (the receipt's `leafHash`). */
  readonly leafHash: string;
  /** Base64 root of the tree of `size` records (compare with a signed checkpoint of that size). */
  readonly root: string;
  /** Base64 audit path, leaf to root (RFC 6962 §2.1.1). */
  readonly proof: readonly string[];
}

/**
 * A consistency proof between two tree sizes of one log.
 *
 * @example
 * ```ts
 * const p: ConsistencyProofResult = await proveConsistency('.writ/audit', yesterday.size);
 * const grewOnly = verifyConsistency(
 *   p.oldSize,
 *   p.newSize,
 *   yesterday.rootHash, // from the checkpoint published yesterday
 *   Buffer.from(p.newRoot, 'base64'),
 *   p.proof.map((h) => Buffer.from(h, 'base64')),
 * );
 * ```
 */
export interface ConsistencyProofResult {
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: string;
  readonly newRoot: string;
  /** Base64 consistency proof (RFC 6962 §2.1.2). */
  readonly proof: readonly string[];
}

/**
 * The leaf hashes of the tree of the first `size` records of a log directory (default: every complete
 * record), and its size. Fewer records than `size` throws `WRIT_INPUT_INVALID`.
 */
async function treeOf(dir: string, size?: number): Promise<{ leaves: Buffer[]; size: number }> {
  const leaves: Buffer[] = [];
  for await (const line of readLines(dir)) {
    if ((size !== undefined && leaves.length >= size) || !line.complete) break;
    leaves.push(leafHash(line.bytes));
  }
  if (size !== undefined && leaves.length < size) {
    throw new WritError(
      'WRIT_INPUT_INVALID',
      `the log has ${leaves.length} records, fewer than the ${size} asked for`,
    );
  }
  return { leaves, size: size ?? leaves.length };
}

/** Whether `n` is an integer from 0 to `end - 1`. */
function below(n: number, end: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < end;
}

/**
 * Proves that record `index` is in the tree of the first `size` records of a log directory (default: the
 * whole log). Check it with `verifyInclusion(leafHash, index, size, proof, root)` against the root of a
 * signed checkpoint of that size.
 *
 * @example
 * ```ts
 * const p = await proveInclusion('.writ/audit', receipt.index, { size: checkpoint.size });
 * verifyInclusion(Buffer.from(p.leafHash, 'hex'), p.index, p.size, p.proof.map((h) => Buffer.from(h, 'base64')), checkpoint.rootHash); // true
 * ```
 */
export async function proveInclusion(
  dir: string,
  index: number,
  options: { size?: number } = {},
): Promise<InclusionProofResult> {
  const { leaves, size } = await treeOf(dir, options.size);
  if (!below(index, size)) {
    throw new WritError('WRIT_INPUT_INVALID', `record ${index} is not in a tree of ${size} records`);
  }
  return {
    index,
    size,
    leafHash: (leaves[index] as Buffer).toString('hex'),
    root: rootOf(leaves.slice(0, size)).toString('base64'),
    proof: inclusionProof(leaves, index, size).map((h) => h.toString('base64')),
  };
}

/**
 * Proves that the tree of the first `oldSize` records is a prefix of the tree of the first `newSize`
 * (default: the whole log): the log only grew between two checkpoints. Check it with
 * `verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof)`.
 *
 * @example
 * ```ts
 * const p = await proveConsistency('.writ/audit', yesterday.size, { newSize: today.size });
 * ```
 */
export async function proveConsistency(
  dir: string,
  oldSize: number,
  options: { newSize?: number } = {},
): Promise<ConsistencyProofResult> {
  const { leaves, size: newSize } = await treeOf(dir, options.newSize);
  if (!below(oldSize, newSize + 1)) {
    throw new WritError(
      'WRIT_INPUT_INVALID',
      `a tree of ${oldSize} records is not a prefix of one of ${newSize}`,
    );
  }
  return {
    oldSize,
    newSize,
    oldRoot: rootOf(leaves.slice(0, oldSize)).toString('base64'),
    newRoot: rootOf(leaves.slice(0, newSize)).toString('base64'),
    proof: consistencyProof(leaves, oldSize, newSize).map((h) => h.toString('base64')),
  };
}
