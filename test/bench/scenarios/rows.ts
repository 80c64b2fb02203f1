// Rows of the results table from samples: one per case (with its comparison against its baseline case),
// and one per pair sampled in alternating batches. Shared by the latency and peers scenarios.
import type { LatencyRow, PairRow } from '../results-schema.ts';
import { type LatencyCase, type PairPlan, summarize } from '../sampling.ts';

/** A sampled case as a table row: its name, group, and the case it is compared with. */
export interface RowCase extends LatencyCase {
  readonly name: string;
  readonly group: LatencyRow['group'];
  /** Compared with this case. */
  readonly baseline?: string;
  /** Bytes of the records the case encodes (the evidence floor cases). */
  readonly recordBytes?: LatencyRow['recordBytes'];
}

/** One row per case, each compared with its baseline case's samples from the same rounds. */
export function rowsOf(
  cases: readonly RowCase[],
  samples: ReadonlyMap<string, readonly number[]>,
): LatencyRow[] {
  const stats = new Map(cases.map((c) => [c.id, summarize(samples.get(c.id) ?? [])]));
  return cases.map((c): LatencyRow => {
    const own = stats.get(c.id);
    if (own === undefined) throw new Error(`no statistics for ${c.id}`);
    const base = c.baseline === undefined ? undefined : stats.get(c.baseline);
    return {
      id: c.id,
      name: c.name,
      group: c.group,
      ...own,
      ...(c.recordBytes === undefined ? {} : { recordBytes: c.recordBytes }),
      ...(base === undefined || c.baseline === undefined
        ? {}
        : {
            vs: {
              baseline: c.baseline,
              p50Ratio: own.p50Us / base.p50Us,
              meanRatio: own.meanUs / base.meanUs,
              p50OverheadUs: own.p50Us - base.p50Us,
              p99OverheadUs: own.p99Us - base.p99Us,
            },
          }),
    };
  });
}

/** A pair's row from the samples `samplePair` returned. */
export function pairRow(
  baseline: string,
  subject: string,
  plan: PairPlan,
  sampled: { readonly base: readonly number[]; readonly subject: readonly number[] },
): PairRow {
  const b = summarize(sampled.base);
  const s = summarize(sampled.subject);
  return {
    baseline,
    case: subject,
    batchMs: plan.batchMs,
    baselineSamples: b.samples,
    caseSamples: s.samples,
    baselineP50Us: b.p50Us,
    caseP50Us: s.p50Us,
    p50Ratio: s.p50Us / b.p50Us,
    p50OverheadUs: s.p50Us - b.p50Us,
    p99OverheadUs: s.p99Us - b.p99Us,
  };
}
