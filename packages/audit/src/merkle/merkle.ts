import * as nodeCrypto from 'node:crypto';

const { createHash } = nodeCrypto;
const NODE_INPUT = Buffer.alloc(65);
/**
 * One-shot SHA-256 (Node ≥ 20.12 / 21.7), about 1.5× faster than a `createHash` chain for small inputs,
 * with a `'binary'` (latin1: one char per byte) string result: Node makes a `Buffer` result far more
 * slowly than a short string, so the string is written into a buffer.
 */
const oneShotBinary = (
  nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'binary') => string }
).hash;

import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';

/**
 * RFC 6962 Merkle Tree Hash primitives (§2.1), audit paths (§2.1.1) and consistency proofs (§2.1.2),
 * verified with the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2. Hashes are SHA-256 with the RFC 6962
 * domain separation: `0x00` before leaf data, `0x01` before the two children of an interior node.
 *
 * Tree sizes and indices are JavaScript numbers, exact up to `Number.MAX_SAFE_INTEGER` (2^53 - 1).
 */

const HASH_BYTES = 32;
const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);
/** Private copy: the exported {@link EMPTY_ROOT} is a mutable `Buffer`, this one never leaves the module. */
const EMPTY = createHash('sha256').digest();

/**
 * The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1, `MTH({}) = SHA-256()`).
 * Treat it as read-only; the functions here never return this very object.
 *
 * @example
 * ```ts
 * EMPTY_ROOT.toString('hex'); // 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
 * rootOf([]).equals(EMPTY_ROOT); // true
 * ```
 */
export const EMPTY_ROOT: Buffer = Buffer.from(EMPTY);

/**
 * The hash of one leaf: SHA-256(0x00 ‖ bytes), over the stored record bytes exactly as written.
 *
 * @example
 * ```ts
 * const hash = leafHash(Buffer.from(line, 'utf8'));
 * frontier.append(hash);
 * ```
 */
export function leafHash(bytes: Uint8Array): Buffer {
  if (oneShotBinary !== undefined) {
    const input = Buffer.allocUnsafe(bytes.length + 1);
    input[0] = 0x00;
    input.set(bytes, 1);
    return fromBinary(oneShotBinary('sha256', input, 'binary'));
  }
  return createHash('sha256').update(LEAF_PREFIX).update(bytes).digest();
}

const oneShotHex = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string })
  .hash;

/**
 * A record line's UTF-8 bytes and leaf hash (as bytes and hex), encoded once: the line is written once,
 * after the `0x00` prefix, and hashed in place (a hex digest is made faster than a `Buffer` one).
 * @internal
 */
export function encodeLeaf(line: string): { bytes: Buffer; hash: Buffer; hex: string } {
  const length = Buffer.byteLength(line, 'utf8');
  const input = Buffer.allocUnsafe(length + 1);
  input[0] = 0x00;
  input.write(line, 1, 'utf8');
  const bytes = input.subarray(1);
  if (oneShotHex === undefined) {
    const hash = leafHash(bytes);
    return { bytes, hash, hex: hash.toString('hex') };
  }
  const hex = oneShotHex('sha256', input, 'hex');
  return { bytes, hash: Buffer.from(hex, 'hex'), hex };
}

/** A digest's bytes from its latin1 string: about twice as fast as asking Node for a `Buffer` result. */
function fromBinary(digest: string): Buffer {
  const out = Buffer.allocUnsafe(HASH_BYTES);
  out.write(digest, 0, HASH_BYTES, 'latin1');
  return out;
}

/**
 * The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
 *
 * @example
 * ```ts
 * const parent = nodeHash(leafHash(a), leafHash(b));
 * parent.equals(rootOf([leafHash(a), leafHash(b)])); // true
 * ```
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (oneShotBinary !== undefined && left.length === 32 && right.length === 32) {
    NODE_INPUT[0] = 0x01;
    NODE_INPUT.set(left, 1);
    NODE_INPUT.set(right, 33);
    return fromBinary(oneShotBinary('sha256', NODE_INPUT, 'binary'));
  }
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/**
 * The Merkle Tree Hash (RFC 6962 §2.1) of a list of leaf hashes, in O(n) hashing and O(log n) memory.
 * Throws `WRIT_OPTIONS_INVALID` if an entry is not a 32-byte hash (pass {@link leafHash} outputs, not
 * record bytes).
 *
 * @example
 * ```ts
 * const root = rootOf(records.map((r) => leafHash(r)));
 * ```
 */
export function rootOf(leafHashes: readonly Uint8Array[]): Buffer {
  checkLeaves('rootOf', leafHashes, Array.isArray(leafHashes) ? leafHashes.length : 0);
  return rangeRoot(leafHashes, 0, leafHashes.length);
}

/**
 * The persistable state of a {@link MerkleFrontier}: the tree size and the roots of the perfect
 * subtrees on the tree's right edge, as lowercase hex, one per set bit of `size`, largest (leftmost)
 * first. Plain JSON.
 *
 * @example
 * ```ts
 * const state: FrontierState = frontier.state(); // { size: 3, hashes: ['fac5…', '0298…'] }
 * const resumed = createFrontier(JSON.parse(JSON.stringify(state)));
 * ```
 */
export interface FrontierState {
  size: number;
  hashes: string[];
}

/**
 * The compact range `[0, size)` of an append-only tree: enough to append and to compute the root, in
 * O(log n) memory and amortised O(1) hashing per append (`root()` costs O(log n)). Not safe to share
 * between concurrent writers.
 *
 * @example
 * ```ts
 * const frontier: MerkleFrontier = createFrontier();
 * const index = frontier.append(leafHash(recordBytes));
 * const root = frontier.root();
 * ```
 */
export interface MerkleFrontier {
  /** Number of leaves appended so far. */
  readonly size: number;
  /** Appends one leaf hash (32 bytes) and returns its index. */
  append(leafHash: Uint8Array): number;
  /** The RFC 6962 root of the leaves so far ({@link EMPTY_ROOT} when there are none); a fresh buffer. */
  root(): Buffer;
  /** A JSON-serialisable snapshot, to resume with `createFrontier(state)`. */
  state(): FrontierState;
}

const HEX_HASH = /^[0-9a-fA-F]{64}$/;
const frontierStateSchema = z.strictObject({
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  hashes: z.array(z.string().regex(HEX_HASH, 'must be a 32-byte hash in hex')).max(53),
});

/**
 * Creates a frontier, empty or resumed from a persisted {@link FrontierState}. A state whose hash count
 * does not match its size, or whose hashes are not 32-byte hex, throws `WRIT_OPTIONS_INVALID`.
 *
 * @example
 * ```ts
 * const frontier = createFrontier(saved?.frontier);
 * frontier.append(leafHash(recordBytes));
 * await persist({ frontier: frontier.state(), root: frontier.root().toString('base64') });
 * ```
 */
export function createFrontier(state?: FrontierState): MerkleFrontier {
  if (state === undefined) return new Frontier(0, []);
  const parsed = validateOptions(frontierStateSchema, state, 'createFrontier');
  if (parsed.hashes.length !== bitCount(parsed.size)) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `createFrontier: a tree of size ${parsed.size} has ${bitCount(parsed.size)} frontier hash(es), got ${parsed.hashes.length}`,
      { details: { size: parsed.size, hashes: parsed.hashes.length } },
    );
  }
  return new Frontier(
    parsed.size,
    parsed.hashes.map((hex) => Buffer.from(hex, 'hex')),
  );
}

class Frontier implements MerkleFrontier {
  #size: number;
  /** Roots of the perfect subtrees on the right edge, leftmost (largest) first. */
  readonly #hashes: Buffer[];

  constructor(size: number, hashes: Buffer[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  get size(): number {
    return this.#size;
  }

  append(leafHash: Uint8Array): number {
    if (!isHash(leafHash)) {
      throw new WritError('WRIT_OPTIONS_INVALID', 'MerkleFrontier.append: leafHash must be a 32-byte hash');
    }
    const index = this.#size;
    if (index === Number.MAX_SAFE_INTEGER) {
      throw new WritError('WRIT_OPTIONS_INVALID', 'MerkleFrontier.append: the tree is full');
    }
    const hashes = this.#hashes;
    if (index % 2 === 0) {
      // the new leaf starts a subtree of its own; keep a copy so the caller may reuse its buffer
      hashes.push(Buffer.from(leafHash));
    } else {
      // each trailing one bit of the old size is a subtree of the new leaf's height: merge them
      let hash: Buffer = nodeHash(hashes.pop() as Buffer, leafHash);
      let rest = (index - 1) / 2;
      while (rest % 2 === 1) {
        hash = nodeHash(hashes.pop() as Buffer, hash);
        rest = (rest - 1) / 2;
      }
      hashes.push(hash);
    }
    this.#size = index + 1;
    return index;
  }

  root(): Buffer {
    const hashes = this.#hashes;
    const last = hashes.length - 1;
    if (last < 0) return Buffer.from(EMPTY);
    if (last === 0) return Buffer.from(hashes[0] as Buffer);
    let root = nodeHash(hashes[last - 1] as Buffer, hashes[last] as Buffer);
    for (let i = last - 2; i >= 0; i--) root = nodeHash(hashes[i] as Buffer, root);
    return root;
  }

  state(): FrontierState {
    return { size: this.#size, hashes: this.#hashes.map((hash) => hash.toString('hex')) };
  }
}

/**
 * A compact range like {@link MerkleFrontier}, for bulk verification: it appends leaf hashes straight
 * from a caller's buffer and hashes interior nodes in place, with no `Buffer` per node. Same roots.
 * @internal
 */
export interface PackedFrontier {
  /** Number of leaves appended so far. */
  readonly size: number;
  /** Appends the 32-byte leaf hash at `at` in `hashes`. */
  append(hashes: Uint8Array, at: number): void;
  /** The RFC 6962 root of the leaves so far ({@link EMPTY_ROOT} when there are none); a fresh buffer. */
  root(): Buffer;
}

/** An empty {@link PackedFrontier}. @internal */
export function createPackedFrontier(): PackedFrontier {
  return new Packed();
}

/** More subtrees than a tree of `Number.MAX_SAFE_INTEGER` leaves has on its right edge, plus one. */
const PACKED_SLOTS = 64;

class Packed implements PackedFrontier {
  #size = 0;
  /** Number of perfect subtrees on the tree's right edge. */
  #depth = 0;
  /**
   * Their roots, leftmost (largest) first as in {@link Frontier}: slot `i` is the 32 bytes from
   * `1 + 32 * i`, after one byte that makes room for the interior node prefix.
   */
  readonly #slots = Buffer.alloc(1 + PACKED_SLOTS * HASH_BYTES);
  /** `#nodes[i]`: the byte before slot `i` and slots `i` and `i + 1`, the input of their parent's hash. */
  readonly #nodes = Array.from({ length: PACKED_SLOTS - 1 }, (_, i) =>
    this.#slots.subarray(i * HASH_BYTES, (i + 2) * HASH_BYTES + 1),
  );

  get size(): number {
    return this.#size;
  }

  append(hashes: Uint8Array, at: number): void {
    const slots = this.#slots;
    let slot = this.#depth;
    const start = 1 + slot * HASH_BYTES;
    for (let j = 0; j < HASH_BYTES; j++) slots[start + j] = hashes[at + j] as number;
    // each trailing one bit of the old size is a subtree of the new leaf's height: merge the two top slots
    for (let rest = this.#size; rest % 2 === 1; rest = (rest - 1) / 2) this.#merge(--slot);
    this.#depth = slot + 1;
    this.#size++;
  }

  root(): Buffer {
    const last = this.#depth - 1;
    if (last < 0) return Buffer.from(EMPTY);
    let root: Buffer = Buffer.from(this.#slot(last));
    for (let i = last - 1; i >= 0; i--) root = nodeHash(this.#slot(i), root);
    return root;
  }

  #slot(i: number): Buffer {
    return this.#slots.subarray(1 + i * HASH_BYTES, 1 + (i + 1) * HASH_BYTES);
  }

  /** Replaces slot `i` with the node over it and slot `i + 1`. */
  #merge(i: number): void {
    const input = this.#nodes[i] as Buffer;
    // the prefix byte is the last byte of slot i - 1 (or the spare first byte): borrowed for the hash
    const borrowed = input[0] as number;
    input[0] = 0x01;
    const digest =
      oneShotBinary !== undefined
        ? oneShotBinary('sha256', input, 'binary')
        : createHash('sha256').update(input).digest('binary');
    input[0] = borrowed;
    input.write(digest, 1, HASH_BYTES, 'latin1');
  }
}

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
  // walk from the root down to the leaf, taking the sibling subtree at each level
  const path: Buffer[] = [];
  let start = 0;
  let n = size;
  let m = index;
  while (n > 1) {
    const k = splitPoint(n);
    if (m < k) {
      path.push(rangeRoot(leafHashes, start + k, start + n));
      n = k;
    } else {
      path.push(rangeRoot(leafHashes, start, start + k));
      start += k;
      m -= k;
      n -= k;
    }
  }
  return path.reverse();
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
  if (!isHash(leafHash) || !isHash(root) || !Array.isArray(proof)) return false;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (let i = 0; i < proof.length; i++) {
    const p: unknown = proof[i];
    if (sn === 0 || !isHash(p)) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(r, root);
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
  const proof: Buffer[] = [];
  let start = 0;
  let n = newSize;
  let m = oldSize;
  let wholeOldTree = true;
  while (m !== n) {
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(rangeRoot(leafHashes, start + k, start + n));
      n = k;
    } else {
      proof.push(rangeRoot(leafHashes, start, start + k));
      start += k;
      m -= k;
      n -= k;
      wholeOldTree = false;
    }
  }
  // the old tree's root is known to the verifier only when the descent never went right
  if (!wholeOldTree) proof.push(rangeRoot(leafHashes, start, start + m));
  return proof.reverse();
}

/**
 * Checks a consistency proof with the algorithm of RFC 9162 §2.1.4.2. Equal sizes need an empty proof
 * and equal roots; the empty tree (size 0, root {@link EMPTY_ROOT}) is consistent with every tree, with
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
  if (proof.length === 0) return false;
  for (let i = 0; i < proof.length; i++) if (!isHash(proof[i])) return false;

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
  for (let i = next; i < proof.length; i++) {
    const c = proof[i] as Uint8Array;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(fr, oldRoot) && equalHashes(sr, newRoot);
}

/** MTH of `leaves[start, end)` as a list of its own: the frontier fold, without allocating a frontier. */
function rangeRoot(leaves: readonly Uint8Array[], start: number, end: number): Buffer {
  const count = end - start;
  if (count === 0) return Buffer.from(EMPTY);
  if (count === 1) return Buffer.from(leaves[start] as Uint8Array);
  const stack: Uint8Array[] = [];
  for (let n = 0; n < count; n++) {
    let hash = leaves[start + n] as Uint8Array;
    for (let rest = n; rest % 2 === 1; rest = (rest - 1) / 2) {
      hash = nodeHash(stack.pop() as Uint8Array, hash);
    }
    stack.push(hash);
  }
  let root = stack[stack.length - 1] as Uint8Array;
  for (let i = stack.length - 2; i >= 0; i--) root = nodeHash(stack[i] as Uint8Array, root);
  // count >= 2, so root is a digest made here, never a caller's buffer
  return root as Buffer;
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

function bitCount(n: number): number {
  let bits = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) bits += rest % 2;
  return bits;
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_BYTES;
}

function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < HASH_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkSize(fn: string, name: string, size: number, leafHashes: readonly Uint8Array[]): void {
  if (!Array.isArray(leafHashes)) {
    throw new WritError('WRIT_OPTIONS_INVALID', `${fn}: leafHashes must be an array of 32-byte hashes`);
  }
  if (!Number.isSafeInteger(size) || size < 0 || size > leafHashes.length) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `${fn}: ${name} ${size} must be an integer from 0 to the number of leaves (${leafHashes.length})`,
      { details: { [name]: size, leaves: leafHashes.length } },
    );
  }
}

function checkLeaves(fn: string, leafHashes: readonly Uint8Array[], count: number): void {
  if (!Array.isArray(leafHashes)) {
    throw new WritError('WRIT_OPTIONS_INVALID', `${fn}: leafHashes must be an array of 32-byte hashes`);
  }
  for (let i = 0; i < count; i++) {
    if (!isHash(leafHashes[i])) {
      throw new WritError('WRIT_OPTIONS_INVALID', `${fn}: leafHashes[${i}] is not a 32-byte hash`, {
        details: { index: i },
      });
    }
  }
}
