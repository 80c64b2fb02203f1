// Scenarios 1 and 2: per-call latency of the baselines and of Writ, sampled in interleaved rounds.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { preparsePolicySet, preparseSchema, statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { SpanKind, type Tracer } from '@opentelemetry/api';
import type { AuthorizationRequest } from '@writ/core';
import { type AuditEvent, canonicalJson } from '@writ/core/plugin';
import {
  cacheDecisions,
  createAuthZenEngine,
  createCedarEngine,
  defaultPolicyPaths,
  toCedarRequest,
} from '@writ/policy';
import { type Cerbos, cerbosMapRequest } from '../cerbos.ts';
import {
  ARGS,
  type BenchWrit,
  captureCallEvents,
  captureRequest,
  createAllowAllPolicy,
  createCoreWrit,
  createFullWrit,
  lookupOrder,
  type TempDirs,
} from '../fixtures.ts';
import type { LatencyRow, PairRow } from '../results-schema.ts';
import { type LatencyPlan, type PairPlan, sampleLatency, samplePair } from '../sampling.ts';
import { pairRow, type RowCase, rowsOf } from './rows.ts';

/** What the latency scenarios need from the run. */
export interface LatencyContext {
  readonly tracer: Tracer;
  readonly temps: TempDirs;
  readonly plan: LatencyPlan;
  /** How the pairs behind ratio targets are sampled after the rounds. */
  readonly pairPlan: PairPlan;
  /** A running Cerbos, or `undefined` to skip the AuthZEN pair. */
  readonly cerbos: Cerbos | undefined;
}

type CaseSpec = RowCase;

const SPAN_NAME = 'execute_tool lookup_order';

/** `tracer.startActiveSpan` with the 4 attributes a hand-instrumented tool call would carry. */
function withSpan<T>(tracer: Tracer, callId: string, body: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(
    SPAN_NAME,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'lookup_order',
        'gen_ai.tool.call.id': callId,
        'gen_ai.agent.name': 'support-bot',
      },
    },
    async (span) => {
      try {
        return await body();
      } finally {
        span.end();
      }
    },
  );
}

/** The shipped policy set and schema, preparsed once, evaluated the way the Cedar engine does. */
export async function cedarDirect(request: AuthorizationRequest): Promise<() => boolean> {
  const paths = defaultPolicyPaths();
  const [policies, schema] = await Promise.all([
    readFile(paths.policies, 'utf8'),
    readFile(paths.schema, 'utf8'),
  ]);
  const schemaName = 'bench-direct-schema';
  const setId = 'bench-direct-set';
  const parsedSchema = preparseSchema(schemaName, schema);
  if (parsedSchema.type === 'failure') throw new Error(`schema: ${parsedSchema.errors[0]?.message}`);
  const parsedSet = preparsePolicySet(setId, { staticPolicies: policies });
  if (parsedSet.type === 'failure') throw new Error(`policies: ${parsedSet.errors[0]?.message}`);
  return () => {
    const answer = statefulIsAuthorized({
      ...toCedarRequest(request),
      preparsedPolicySetId: setId,
      preparsedSchemaName: schemaName,
      validateRequest: true,
    });
    return answer.type === 'success' && answer.response.decision === 'allow';
  };
}

function writCase(
  id: string,
  name: string,
  bench: BenchWrit,
  baseline: string,
  group: LatencyRow['group'] = 'writ',
): CaseSpec {
  return {
    id,
    name,
    group,
    baseline,
    inside: (body) => bench.inTask(body),
    fn: () => bench.tool.execute(ARGS),
    afterRound: () => bench.flush(),
  };
}

/**
 * What the design requires of every call, with nothing else of Writ: the decision and outcome records of
 * a real call canonically encoded (RFC 8785) and leaf-hashed (RFC 6962) as every sink does. Writ's own
 * overhead cannot go below this plus one span (the `evidence-floor` case).
 */
function evidenceFloor(events: readonly AuditEvent[]): () => void {
  const zero = Buffer.from([0]);
  let previous = '';
  return () => {
    for (const event of events) {
      const line = canonicalJson({ i: 0, p: previous, r: event });
      previous = createHash('sha256').update(zero).update(line, 'utf8').digest('hex');
    }
  };
}

/**
 * Cases sampled again as pairs (baseline, subject) in alternating batches: the Cedar ratio target's, and
 * the same baseline against the evidence floor next to Cedar (what the design's records alone cost there).
 */
const PAIRS: readonly (readonly [string, string])[] = [
  ['cedar-direct', 'writ-cedar-async'],
  ['cedar-direct', 'cedar-evidence-floor'],
  // records v2 (the shared evaluated context by reference) against the version-1 records
  ['evidence-floor-v1', 'evidence-floor'],
];

/** The rows of every case, and the pairs sampled in alternating batches. */
export interface LatencyResult {
  readonly rows: LatencyRow[];
  readonly pairs: PairRow[];
}

/** Builds every case, samples them, and returns one row per case (closing what it opened). */
export async function runLatency(ctx: LatencyContext): Promise<LatencyResult> {
  const { tracer, temps } = ctx;
  const opened: BenchWrit[] = [];
  const open = async <T extends BenchWrit>(made: Promise<T> | T): Promise<T> => {
    const bench = await made;
    opened.push(bench);
    return bench;
  };
  try {
    const request = await captureRequest(await temps.make('capture'));
    const decideDirect = await cedarDirect(request);
    const captured = await captureCallEvents();
    const evidence = evidenceFloor(captured.events);
    const evidenceV1 = evidenceFloor(captured.version1);
    let callNo = 0;

    /** Cedar direct in a span, then (`withEvidence`) the call's records encoded and hashed too. */
    const cedarCall = (withEvidence: boolean) => () =>
      withSpan(tracer, `call_${++callNo}`, () => {
        if (!decideDirect()) throw new Error('cedar denied the benchmark call');
        if (withEvidence) evidence();
        return lookupOrder(ARGS);
      });

    const cases: CaseSpec[] = [
      { id: 'bare', name: 'bare async call', group: 'baseline', fn: () => lookupOrder(ARGS) },
      {
        id: 'span',
        name: 'call in one OTel span (4 attributes)',
        group: 'baseline',
        baseline: 'bare',
        fn: () => withSpan(tracer, `call_${++callNo}`, () => lookupOrder(ARGS)),
      },
      {
        id: 'cedar-direct',
        name: 'cedar-wasm direct + span',
        group: 'baseline',
        baseline: 'bare',
        fn: cedarCall(false),
      },
      {
        id: 'cedar-evidence-floor',
        name: "cedar-wasm direct + span + the call's 2 records encoded + hashed",
        group: 'baseline',
        baseline: 'cedar-direct',
        fn: cedarCall(true),
      },
      {
        id: 'evidence-floor',
        name: "evidence floor: a call's 2 records encoded + hashed, in a span",
        group: 'baseline',
        baseline: 'bare',
        recordBytes: captured.bytes,
        fn: () =>
          withSpan(tracer, `call_${++callNo}`, () => {
            evidence();
            return lookupOrder(ARGS);
          }),
      },
      {
        id: 'evidence-floor-v1',
        name: 'evidence floor, records of version 1 (whole evaluated context in each decision)',
        group: 'baseline',
        baseline: 'bare',
        recordBytes: captured.version1Bytes,
        fn: () =>
          withSpan(tracer, `call_${++callNo}`, () => {
            evidenceV1();
            return lookupOrder(ARGS);
          }),
      },
    ];

    for (const durability of ['strict', 'batched', 'async'] as const) {
      const bench = await open(createFullWrit({ dir: await temps.make(`cedar-${durability}`), durability }));
      cases.push(
        writCase(`writ-cedar-${durability}`, `Writ, Cedar, file audit, ${durability}`, bench, 'cedar-direct'),
      );
    }
    const memory = await open(
      createFullWrit({
        dir: await temps.make('memory-async'),
        durability: 'async',
        policy: createAllowAllPolicy(),
      }),
    );
    cases.push(writCase('writ-memory-async', 'Writ, in-memory policy, file audit, async', memory, 'bare'));
    const core = await open(createCoreWrit());
    cases.push(writCase('writ-core-async', '@writ/core only, in-memory policy + sink, async', core, 'bare'));
    const cached = await open(
      createFullWrit({
        dir: await temps.make('cached-async'),
        durability: 'async',
        policy: cacheDecisions(await createCedarEngine()),
      }),
    );
    cases.push(
      writCase(
        'writ-cedar-cached-async',
        'Writ, cacheDecisions(Cedar), file audit, async',
        cached,
        'cedar-direct',
      ),
    );

    if (ctx.cerbos !== undefined) {
      const { url } = ctx.cerbos;
      const endpoint = `${url}/access/v1/evaluation`;
      cases.push({
        id: 'cerbos-direct',
        name: 'Cerbos AuthZEN via fetch + span',
        group: 'baseline',
        baseline: 'bare',
        fn: () =>
          withSpan(tracer, `call_${++callNo}`, async () => {
            const response = await fetch(endpoint, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(cerbosMapRequest(request)),
            });
            const answer = (await response.json()) as { decision?: unknown };
            if (answer.decision !== true) throw new Error('Cerbos denied the benchmark call');
            return lookupOrder(ARGS);
          }),
      });
      const authzen = await open(
        createFullWrit({
          dir: await temps.make('authzen-async'),
          durability: 'async',
          policy: createAuthZenEngine({
            pdp: url,
            endpoints: { evaluation: endpoint },
            mapRequest: cerbosMapRequest,
          }),
        }),
      );
      cases.push(
        writCase('writ-authzen-async', 'Writ, AuthZEN → Cerbos, file audit, async', authzen, 'cerbos-direct'),
      );
    }

    const tasks = await open(createFullWrit({ dir: await temps.make('tasks'), durability: 'async' }));
    cases.push({
      id: 'task-start-end',
      name: 'writ.task start + end (empty task), async',
      group: 'task',
      fn: () => tasks.writ.task(tasks.task, async () => undefined),
      afterRound: () => tasks.flush(),
    });

    const samples = await sampleLatency(cases, ctx.plan);
    const pairs: PairRow[] = [];
    for (const [baseId, subjectId] of PAIRS) {
      const base = cases.find((c) => c.id === baseId);
      const subject = cases.find((c) => c.id === subjectId);
      if (base === undefined || subject === undefined) continue;
      pairs.push(pairRow(baseId, subjectId, ctx.pairPlan, await samplePair(base, subject, ctx.pairPlan)));
    }
    const rows = rowsOf(cases, samples);
    return { rows, pairs };
  } finally {
    for (const bench of opened) await bench.close().catch(() => undefined);
  }
}
