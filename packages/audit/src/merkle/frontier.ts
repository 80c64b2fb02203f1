import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import { EMPTY, isHash, nodeHash } from './hashing.js';

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
  /** The RFC 6962 root of the leaves so far (the empty tree's root when there are none); a fresh buffer. */
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

/** The number of set bits of `n`: how many perfect subtrees a tree of `n` leaves has on its right edge. */
function bitCount(n: number): number {
  let bits = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) bits += rest % 2;
  return bits;
}
