import { EMPTY, HASH_BYTES, nodeDigestBinary, nodeHash } from './hashing.js';

/**
 * A compact range like `MerkleFrontier`, for bulk verification: it appends leaf hashes straight
 * from a caller's buffer and hashes interior nodes in place, with no `Buffer` per node. Same roots.
 *
 * @example
 * ```ts
 * const packed: PackedFrontier = createPackedFrontier();
 * packed.append(leaves, 32 * k); // the k-th hash of a chunk's leaf hashes
 * ```
 * @internal
 */
export interface PackedFrontier {
  /** Number of leaves appended so far. */
  readonly size: number;
  /** Appends the 32-byte leaf hash at `at` in `hashes`. */
  append(hashes: Uint8Array, at: number): void;
  /**
   * Appends a perfect subtree of `2^height` leaves by its root (the 32 bytes at `at` in `root`): the
   * same tree as appending its leaves one by one. The size must be a multiple of `2^height` (the subtree
   * is aligned); throws otherwise.
   */
  appendSubtree(root: Uint8Array, at: number, height: number): void;
  /** The RFC 6962 root of the leaves so far (the empty tree's root when there are none); a fresh buffer. */
  root(): Buffer;
}

/**
 * An empty {@link PackedFrontier}.
 *
 * @example
 * ```ts
 * const frontier = createPackedFrontier();
 * for (const hash of hashes) frontier.append(hash, 0);
 * frontier.root(); // the same root as rootOf(hashes)
 * ```
 * @internal
 */
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
   * Their roots, leftmost (largest) first as in `MerkleFrontier`: slot `i` is the 32 bytes from
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
    this.appendSubtree(hashes, at, 0);
  }

  appendSubtree(root: Uint8Array, at: number, height: number): void {
    const leaves = 2 ** height;
    if (this.#size % leaves !== 0) throw new RangeError(`a subtree of ${leaves} leaves at ${this.#size}`);
    const slots = this.#slots;
    let slot = this.#depth;
    const start = 1 + slot * HASH_BYTES;
    for (let j = 0; j < HASH_BYTES; j++) slots[start + j] = root[at + j] as number;
    // each trailing one bit of the old size (in units of the subtree) is a subtree of the new one's
    // height: merge the two top slots
    for (let rest = this.#size / leaves; rest % 2 === 1; rest = (rest - 1) / 2) this.#merge(--slot);
    this.#depth = slot + 1;
    this.#size += leaves;
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
    const digest = nodeDigestBinary(input);
    input[0] = borrowed;
    input.write(digest, 1, HASH_BYTES, 'latin1');
  }
}
