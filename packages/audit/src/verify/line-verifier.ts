import { formatIssues } from '@writ/core/internal';
import { parseVerifierKey } from '../checkpoint/verifier-key.js';
import { follows, type Peeked, peek } from '../envelope-prefix.js';
import type { HashedChunk } from '../leaf-hasher.js';
import type { StoredLine } from '../log-reader.js';
import { createPackedFrontier } from '../merkle/packed-frontier.js';
import { logRecordSchema } from '../record.js';
import { type CheckpointTarget, checkpointRecordProblem, openTargets } from './checkpoint-checks.js';
import { createSharedContextCheck } from './shared-context-check.js';
import { verificationState } from './verification-state.js';
import type { VerifyLinesOptions, VerifyResult } from './verify-options.js';
import { checkWitnesses, type WitnessVerdict, witnessReason } from './witness-check.js';

/**
 * The record checks of verification, line by line in index order: each line is complete and is an
 * envelope, indexes run 0, 1, 2, …, each `p` names the previous leaf hash, checkpoint records verify
 * against the tree before them, and the trees of the published and given checkpoints are in the log.
 * The first failure is named; a broken link is blamed on the record that changed. The verdict says what
 * it proves (`state`): what the pinned key and the checkpoints found cover.
 */

/**
 * Tree sizes whose roots to record on the way (base64, in `found`), from the records the verifier
 * accepted: `verifyFleet` checks a member's sealed sizes against them without hashing its log twice.
 * @internal
 */
export interface RootsAt {
  readonly sizes: ReadonlySet<number>;
  readonly found: Map<number, string>;
}

/** Incremental verification: lines pushed in index order with their leaf hashes. @internal */
export interface LineVerifier {
  /** Checks the published / given checkpoints; a verdict when they are unusable. */
  start(): VerifyResult | undefined;
  /**
   * A verdict when the log is bad at or before this line; `undefined` to go on. The line's leaf hash is
   * the 32 bytes at `at` in `hashes` (absent for a torn line); they must stay unchanged.
   */
  push(line: StoredLine, hashes: Uint8Array | undefined, at?: number): VerifyResult | undefined;
  /**
   * Pushes a hashed chunk's lines as {@link LineVerifier.push} does, except that a line whose envelope the
   * worker vouched for is accepted without reading its bytes again when nothing else is due at it.
   */
  pushChunk(hashed: HashedChunk): VerifyResult | undefined;
  /** The verdict once every line was pushed. */
  finish(): VerifyResult;
}

/**
 * A verifier for one log's lines, pushed in index order (by `verifyLines` and `verifyLog`).
 *
 * @example
 * ```ts
 * const verifier = createLineVerifier(options);
 * const verdict = verifier.start() ?? pushAll(verifier) ?? verifier.finish();
 * ```
 * @internal
 */
export function createLineVerifier(options: VerifyLinesOptions, rootsAt?: RootsAt): LineVerifier {
  const origin = options.origin;
  const keyPinned = options.verifierKey !== undefined;
  const verifier = parseVerifierKey(options.verifierKey ?? options.recordedVerifierKey);
  const warnings: string[] = [];
  if (!keyPinned)
    warnings.push('the verifier key was read from the log itself; pass a key obtained independently');

  const contexts = options.deep === true ? createSharedContextCheck() : undefined;
  const frontier = createPackedFrontier();
  let index = 0;
  /** The leaf hash of the last accepted record, at `previousAt`. */
  let previous: Uint8Array | undefined;
  let previousAt = 0;
  let checkpoints = 0;
  let sealed = 0;
  /** Records under a checkpoint signature that verified. */
  let covered = 0;
  /** Records covered by an independent checkpoint whose tree the log was found to hold. */
  let anchorSize: number | undefined;
  // published checkpoints the log must contain
  let targets: CheckpointTarget[] = [];
  /** What the witness requirement found, when there is one. */
  let witnessed: WitnessVerdict | undefined;
  /** A record whose `p` broke the chain: the next line tells whether it or its predecessor changed. */
  let suspect: { line: StoredLine; envelope: Peeked; hashes: Uint8Array; at: number } | undefined;
  /** The last accepted record, `lastData[lastStart, lastEnd)`: tells a lost line break from a deletion. */
  let lastData: Buffer | undefined;
  let lastStart = 0;
  let lastEnd = 0;

  /** The verdict on the records read so far: bad at `firstBadIndex` for `reason`, or ok. */
  function result(bad?: { firstBadIndex: number; reason: string }): VerifyResult {
    const ok = bad === undefined;
    const { state, unproven } = verificationState({
      ok,
      keyPinned,
      records: index,
      covered,
      anchorSize,
      firstBadIndex: bad?.firstBadIndex,
    });
    return {
      ok,
      state,
      origin,
      records: index,
      checkpoints,
      sealed,
      covered: Math.min(covered, bad?.firstBadIndex ?? covered),
      root: frontier.root().toString('base64'),
      keyPinned,
      ...(anchorSize === undefined ? {} : { anchorSize }),
      ...(witnessed === undefined ? {} : { witnesses: witnessed }),
      ...bad,
      unproven,
      warnings,
    };
  }

  /**
   * Checks the trees of the published and given checkpoints of `index` records against the tree so far:
   * a verdict when one differs, else notes what they cover.
   */
  function checkTargets(differ: string): VerifyResult | undefined {
    for (const t of targets) {
      if (t.size !== index) continue;
      if (frontier.root().toString('base64') !== t.root)
        return fail(Math.max(0, index - 1), `${differ} the ${t.label}`);
      covered = Math.max(covered, t.size);
      if (t.anchor) anchorSize = Math.max(anchorSize ?? 0, t.size);
    }
    return undefined;
  }

  function fail(firstBadIndex: number, reason: string): VerifyResult {
    return result({ firstBadIndex, reason });
  }

  /** Why the checkpoint record `bytes` at `at` is bad against the tree so far, or undefined. */
  function checkCheckpoint(bytes: Buffer, at: number): string | undefined {
    return checkpointRecordProblem(bytes, at, verifier, origin, () => frontier.root().toString('base64'));
  }

  function judgeSuspect(next: StoredLine | undefined): VerifyResult {
    const { line, envelope, hashes, at } = suspect as NonNullable<typeof suspect>;
    const after = next === undefined || !next.complete ? undefined : peek(next.bytes);
    const thisChanged = after !== undefined && next !== undefined && !follows(next.bytes, after, hashes, at);
    if (thisChanged || index === 0) return fail(index, `record ${index} was altered`);
    if (after === undefined && envelope.checkpoint) {
      // the last record is a checkpoint: its signed root tells whether the record before it is intact
      if (checkCheckpoint(line.bytes, index) === undefined) return fail(index, `record ${index} was altered`);
    }
    return fail(index - 1, `record ${index - 1} was altered (its hash no longer matches the chain)`);
  }

  /** Whether a published or given checkpoint covers exactly the first `size` records. */
  function targetAt(size: number): boolean {
    for (const t of targets) if (t.size === size) return true;
    return false;
  }

  /** Appends the record in `data[start, end)` whose leaf hash is at `at` in `hashes`. */
  function accept(hashes: Uint8Array, at: number, data: Buffer, start: number, end: number): void {
    frontier.append(hashes, at);
    previous = hashes;
    previousAt = at;
    lastData = data;
    lastStart = start;
    lastEnd = end;
    options.onRecord?.(index, data.subarray(start, end));
    index++;
    if (rootsAt?.sizes.has(index) === true) rootsAt.found.set(index, frontier.root().toString('base64'));
    if (index % 10_000 === 0) options.onProgress?.(index);
  }

  /** Tree sizes whose roots `rootsAt` wants, ascending; `due` is the first not yet passed. */
  const rootSizes = rootsAt === undefined ? [] : [...rootsAt.sizes].sort((a, b) => a - b);
  let due = 0;

  /**
   * Whether records `from … to − 1` can go in as one subtree: no published or given checkpoint covers
   * exactly the records before one of them, and no root is wanted at a size strictly inside.
   */
  function nothingDueIn(from: number, to: number): boolean {
    for (const t of targets) if (t.size >= from && t.size < to) return false;
    while (due < rootSizes.length && (rootSizes[due] as number) <= from) due++;
    return due === rootSizes.length || (rootSizes[due] as number) >= to;
  }

  /**
   * Accepts the `2^height` vouched records from line `k` of `chunk` as one subtree, by its root at `at`
   * in `roots`: what {@link accept} does for each of them, with one append to the tree.
   */
  function acceptSubtree(
    roots: Uint8Array,
    at: number,
    height: number,
    leaves: Uint8Array,
    k: number,
    chunk: HashedChunk['chunk'],
  ): void {
    const { data, lines } = chunk;
    const size = 2 ** height;
    const last = k + size - 1;
    frontier.appendSubtree(roots, at, height);
    if (options.onRecord !== undefined)
      for (let j = k; j <= last; j++)
        options.onRecord(index + j - k, data.subarray(lines[2 * j] as number, lines[2 * j + 1] as number));
    previous = leaves;
    previousAt = 32 * last;
    lastData = data;
    lastStart = lines[2 * last] as number;
    lastEnd = lines[2 * last + 1] as number;
    const before = index;
    index += size;
    if (rootsAt?.sizes.has(index) === true) rootsAt.found.set(index, frontier.root().toString('base64'));
    if (options.onProgress !== undefined)
      for (let p = Math.floor(before / 10_000) + 1; p * 10_000 <= index; p++) options.onProgress(p * 10_000);
  }

  function push(line: StoredLine, hashes: Uint8Array | undefined, at = 0): VerifyResult | undefined {
    if (suspect !== undefined) return judgeSuspect(line);
    const differs = checkTargets(`records before ${index} differ from`);
    if (differs !== undefined) return differs;
    if (line.problem !== undefined) return fail(index, line.problem);
    if (!line.complete || hashes === undefined)
      return fail(
        index,
        'the last record is cut short (torn write); the writer repairs it when it reopens the log',
      );
    const envelope = peek(line.bytes);
    if (envelope === undefined) return fail(index, 'not a Writ log record (malformed line)');
    const seqOk = envelope.i === index;
    const prevOk = follows(line.bytes, envelope, previous, previousAt);
    if (!seqOk && !prevOk) {
      // the previous record runs into the one that should follow it: its line break was altered
      const lastBytes = lastData?.subarray(lastStart, lastEnd);
      if (envelope.i > index && lastBytes?.includes(`{"i":${index},"p":"`, 1) === true) {
        return fail(index - 1, `record ${index - 1} was altered (the line break after it is gone)`);
      }
      return envelope.i > index
        ? fail(index, `record ${index} is missing (found record ${envelope.i} in its place)`)
        : fail(Math.max(0, index - 1), `a record was inserted before ${index}`);
    }
    if (!seqOk) return fail(index, `record ${index} carries index ${envelope.i}`);
    if (!prevOk) {
      suspect = { line, envelope, hashes, at };
      return undefined;
    }
    if (options.deep === true || envelope.checkpoint) {
      let parsed: { r?: unknown };
      try {
        parsed = JSON.parse(line.bytes.toString('utf8')) as { r?: unknown };
      } catch {
        return fail(index, 'record is not valid JSON');
      }
      const record = parsed.r as { kind?: unknown } | undefined;
      if (options.deep === true) {
        const checked = logRecordSchema.safeParse(record);
        if (!checked.success) {
          const [issue = 'invalid'] = formatIssues(checked.error.issues, { limit: 1 });
          return fail(index, `record does not match the schema: ${issue}`);
        }
        contexts?.push(index, record);
      }
      if (record?.kind === 'checkpoint') {
        const problem = checkCheckpoint(line.bytes, index);
        if (problem !== undefined) return fail(index, problem);
        checkpoints++;
        sealed = index;
        covered = Math.max(covered, index);
      }
    }
    accept(hashes, at, line.bytes, 0, line.bytes.length);
    return undefined;
  }

  return {
    start() {
      const opened = openTargets(
        [
          ['published checkpoint', options.publishedCheckpoint, false],
          ['given checkpoint', options.checkpoint, true],
        ],
        verifier,
        origin,
      );
      if ('reason' in opened) return fail(0, opened.reason);
      targets = opened.targets;
      if (options.witnesses !== undefined) {
        const verdict = checkWitnesses(options.publishedCheckpoint, options.witnesses);
        witnessed = verdict;
        // cosigned by enough witnesses, the published checkpoint is held outside the log: an anchor
        if (verdict.ok) targets = targets.map((t) => (t.anchor ? t : { ...t, anchor: true }));
      }
      return undefined;
    },
    push,
    pushChunk({ chunk, leaves, indexes, trees, roots }) {
      const { data, lines, segment, offset } = chunk;
      const deep = options.deep === true;
      let t = 0;
      for (let k = 0; k < indexes.length; k++) {
        if (indexes[k] === index && suspect === undefined && !deep) {
          while (t < trees.length && (trees[t] as number) < k) t += 2;
          // a subtree of vouched records from this one, nothing due inside: appended by its root
          if (trees[t] === k) {
            const size = 2 ** (trees[t + 1] as number);
            if (nothingDueIn(index, index + size)) {
              acceptSubtree(roots, 16 * t, trees[t + 1] as number, leaves, k, chunk);
              k += size - 1;
              continue;
            }
          }
          if (!targetAt(index)) {
            accept(leaves, 32 * k, data, lines[2 * k] as number, lines[2 * k + 1] as number);
            continue;
          }
        }
        const start = lines[2 * k] as number;
        const end = lines[2 * k + 1] as number;
        const line = { bytes: data.subarray(start, end), complete: true, segment, offset: offset + start };
        const verdict = push(line, leaves, 32 * k);
        if (verdict !== undefined) return verdict;
      }
      for (const line of tail(chunk)) {
        const verdict = push(line, undefined);
        if (verdict !== undefined) return verdict;
      }
      return undefined;
    },
    finish() {
      if (suspect !== undefined) return judgeSuspect(undefined);
      for (const t of targets) {
        if (t.size > index)
          return fail(
            index,
            `the log ends at ${index} records but the ${t.label} covers ${t.size}: records were removed`,
          );
        if (t.size === index && frontier.root().toString('base64') !== t.root) {
          return fail(Math.max(0, index - 1), `records differ from the ${t.label}`);
        }
      }
      checkTargets('records differ from');
      if (index > sealed + 1)
        warnings.push(`${index - sealed - 1} record(s) after the last checkpoint are not sealed yet`);
      if (contexts !== undefined) warnings.push(...contexts.finish());
      const published = targets.find((t) => t.label === 'published checkpoint');
      if (witnessed?.ok === true && published !== undefined && published.size <= sealed)
        witnessed = { ...witnessed, ok: false, problem: 'not-newest' };
      if (witnessed !== undefined && !witnessed.ok) {
        const keys = options.witnesses?.keys.length ?? 0;
        return fail(
          witnessed.problem === 'not-newest' ? (witnessed.size ?? 0) : 0,
          witnessReason(witnessed, keys, sealed),
        );
      }
      if (checkpoints > 0 && options.publishedCheckpoint === undefined)
        warnings.push(
          'the log holds checkpoints but publishes no checkpoint (its published copy is missing): records after its last checkpoint could have been cut off',
        );
      else if (checkpoints > 0 && published !== undefined && published.size <= sealed)
        warnings.push(
          `the published checkpoint covers ${published.size} records but the log was sealed again at record ${sealed}: it was rolled back, or the writer stopped before publishing`,
        );
      return result();
    },
  };
}

/** A chunk's lines after its complete ones: a torn final line, a line the reader refused. */
function tail(chunk: HashedChunk['chunk']): StoredLine[] {
  const { segment, offset, torn, problem } = chunk;
  const out: StoredLine[] = [];
  if (torn !== undefined) out.push({ bytes: torn, complete: false, segment, offset });
  if (problem !== undefined) out.push({ bytes: Buffer.alloc(0), complete: false, segment, offset, problem });
  return out;
}
