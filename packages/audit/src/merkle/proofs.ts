import { WritError } from '@writ/core';
import { checkLeafArray, checkLeaves, EMPTY, equalHashes, isHash, nodeHash, rangeRoot } from './hashing.js';

/**
 * RFC 6962 audit paths (§2.1.1) and consistency proofs (§2.1.2), made from a list of leaf hashes and
 * checked with the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2.
 */

/**
 * The audit path (RFC 6962 §2.1.1 `PATH(m, D[n])`) for the leaf at `index` in the tree made of the first
 * `size` leaf hashes, ordered from the leaf's sibling up to the child of the root. Throws
 * `WRIT_OPTIONS_INVALID` unless `0 <= index < size <= leafHashes.length`.
 *
 * @example
 * ```ts
 * const proof = inclusionProof(hashes, 3, 7);
 * verifyInclusion(hashes[3], 3, 7, proof, rootOf(hashes.slice(0, 7))); // true
 * ```
 * @internal
 */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number, size: number): Buffer[] {
  checkSize('inclusionProof', 'size', size, leafHashes);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `inclusionProof: index ${index} is outside a tree of size ${size}`,
      {
        details: { index, size },
      },
    );
  }
  checkLeaves('inclusionProof', leafHashes, size);
  // the leaf at `index` is the last leaf of the prefix of index + 1 leaves: descend to it
  return subtreesBeside(leafHashes, index + 1, size, (_m, n) => n <= 1).proof.reverse();
}

/**
 * Checks an audit path with the algorithm of RFC 9162 §2.1.3.2. Returns `false`, never throws, for
 * anything that does not prove inclusion: wrong sizes, malformed or oversized proofs, non-hash values.
 * Take `size` and `root` from the same signed checkpoint: a path does not commit to the tree size.
 *
 * @example
 * ```ts
 * if (!verifyInclusion(leafHash(record), receipt.index, checkpoint.size, proof, checkpoint.rootHash)) {
 *   throw new Error('record is not in the log');
 * }
 * ```
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isHash(leafHash) || !isHash(root) || !Array.isArray(proof) || !allHashes(proof)) return false;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let r: Uint8Array = leafHash;
  const atRoot = climb(index, size - 1, proof, 0, (p, left) => {
    r = left ? nodeHash(p, r) : nodeHash(r, p);
  });
  return atRoot && equalHashes(r, root);
}

/**
 * The consistency proof (RFC 6962 §2.1.2 `PROOF(m, D[n])`) that the tree of the first `oldSize` leaves is
 * a prefix of the tree of the first `newSize`. Empty when `oldSize` is 0 or equals `newSize`. Throws
 * `WRIT_OPTIONS_INVALID` unless `0 <= oldSize <= newSize <= leafHashes.length`.
 *
 * @example
 * ```ts
 * const proof = consistencyProof(hashes, published.size, hashes.length);
 * verifyConsistency(published.size, hashes.length, published.rootHash, rootOf(hashes), proof); // true
 * ```
 * @internal
 */
export function consistencyProof(
  leafHashes: readonly Uint8Array[],
  oldSize: number,
  newSize: number,
): Buffer[] {
  checkSize('consistencyProof', 'newSize', newSize, leafHashes);
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `consistencyProof: oldSize ${oldSize} must be an integer from 0 to newSize (${newSize})`,
      { details: { oldSize, newSize } },
    );
  }
  checkLeaves('consistencyProof', leafHashes, newSize);
  if (oldSize === 0 || oldSize === newSize) return [];
  // SUBPROOF(m, D[n], b), unrolled: descend while m < n, collecting the subtree next to the path
  const { proof, start, m, wentRight } = subtreesBeside(leafHashes, oldSize, newSize, (m, n) => m === n);
  // the old tree's root is known to the verifier only when the descent never went right
  if (wentRight) proof.push(rangeRoot(leafHashes, start, start + m));
  return proof.reverse();
}

/**
 * Checks a consistency proof with the algorithm of RFC 9162 §2.1.4.2. Equal sizes need an empty proof
 * and equal roots; the empty tree (size 0, root SHA-256 of nothing) is consistent with every tree, with
 * an empty proof. Returns `false`, never throws, for anything else that does not prove consistency.
 * Take each size and root from the same signed checkpoint: a proof does not commit to the sizes.
 *
 * @example
 * ```ts
 * const ok = verifyConsistency(old.size, current.size, old.rootHash, current.rootHash, proof);
 * if (!ok) throw new Error('the log rewrote its history');
 * ```
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isHash(oldRoot) || !isHash(newRoot) || !Array.isArray(proof)) return false;
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) {
    return false;
  }
  if (oldSize === 0) {
    return (
      proof.length === 0 && equalHashes(oldRoot, EMPTY) && (newSize !== 0 || equalHashes(newRoot, EMPTY))
    );
  }
  if (oldSize === newSize) return proof.length === 0 && equalHashes(oldRoot, newRoot);
  if (proof.length === 0 || !allHashes(proof)) return false;

  // a power-of-two old tree is a node of the new tree: its root is the proof's implicit first value
  let next = 0;
  let fr: Uint8Array;
  if (isPowerOfTwo(oldSize)) {
    fr = oldRoot;
  } else {
    fr = proof[0] as Uint8Array;
    next = 1;
  }
  let sr = fr;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  const atRoot = climb(fn, sn, proof, next, (c, left) => {
    if (left) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
    } else {
      sr = nodeHash(sr, c);
    }
  });
  return atRoot && equalHashes(fr, oldRoot) && equalHashes(sr, newRoot);
}

/**
 * RFC 6962's descent from the root of the tree of `n` leaves towards the boundary after leaf `m` (the
 * first `m` leaves), until `done(m, n)`: at each level the subtree beside the path is collected, the
 * left half is taken while `m` fits in it (`m <= k`). `start` and `m` locate the subtree reached;
 * `wentRight` tells whether the descent ever took a right half.
 */
function subtreesBeside(
  leaves: readonly Uint8Array[],
  m: number,
  n: number,
  done: (m: number, n: number) => boolean,
): { proof: Buffer[]; start: number; m: number; wentRight: boolean } {
  const proof: Buffer[] = [];
  let start = 0;
  let wentRight = false;
  while (!done(m, n)) {
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(rangeRoot(leaves, start + k, start + n));
      n = k;
    } else {
      proof.push(rangeRoot(leaves, start, start + k));
      start += k;
      m -= k;
      n -= k;
      wentRight = true;
    }
  }
  return { proof, start, m, wentRight };
}

/**
 * RFC 9162's climb up a proof from node `fn` of a level whose last node is `sn`: calls `step` with each
 * proof hash from `from` on and whether it is the left child, and returns whether the climb ends exactly
 * at the root (a proof too long or too short does not).
 */
function climb(
  fn: number,
  sn: number,
  proof: readonly Uint8Array[],
  from: number,
  step: (sibling: Uint8Array, left: boolean) => void,
): boolean {
  for (let i = from; i < proof.length; i++) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      step(proof[i] as Uint8Array, true);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      step(proof[i] as Uint8Array, false);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0;
}

function allHashes(proof: readonly unknown[]): boolean {
  for (let i = 0; i < proof.length; i++) if (!isHash(proof[i])) return false;
  return true;
}

/** The largest power of two strictly below `n` (n >= 2): RFC 6962's split point `k`. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

function checkSize(fn: string, name: string, size: number, leafHashes: readonly Uint8Array[]): void {
  checkLeafArray(fn, leafHashes);
  if (!Number.isSafeInteger(size) || size < 0 || size > leafHashes.length) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `${fn}: ${name} ${size} must be an integer from 0 to the number of leaves (${leafHashes.length})`,
      { details: { [name]: size, leaves: leafHashes.length } },
    );
  }
}
