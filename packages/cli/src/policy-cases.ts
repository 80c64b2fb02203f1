import { type AuthorizationRequest, WritError } from '@writ/core';
import { formatIssues } from '@writ/core/internal';
import { type DecisionEffect, scopeCovers } from '@writ/core/plugin';
import { z } from 'zod';

/**
 * Defaults filled into every `writ policy test` case request; see {@link toAuthorizationRequest}.
 *
 * @example
 * ```ts
 * POLICY_CASE_DEFAULTS.agent; // 'spiffe://writ.local/agent/agent'
 * ```
 */
export const POLICY_CASE_DEFAULTS = Object.freeze({
  /** Subject id. @default 'spiffe://writ.local/agent/agent' */
  agent: 'spiffe://writ.local/agent/agent',
  /** Tool risk. @default 'low' */
  risk: 'low' as const,
  /** @default 'function' */
  toolType: 'function' as const,
  /** Resource the call acts on. @default { type: 'Resource', id: 'unspecified' } */
  resource: Object.freeze({ type: 'Resource', id: 'unspecified' }),
  /** The acting agent's scope. @default ['*'] */
  scope: Object.freeze(['*']) as readonly string[],
  /** @default 'test' */
  environment: 'test',
  /** @default 'policy-test' */
  taskId: 'policy-test',
  /** @default 'policy-test' */
  correlationId: 'policy-test',
  /** @default 'sha256:' followed by 64 zeros */
  argsDigest: `sha256:${'0'.repeat(64)}`,
});

const agentRef = z.strictObject({
  kind: z.enum(['agent', 'service']).default('agent'),
  id: z.string().min(1),
  name: z.string().optional(),
  assurance: z.enum(['verified', 'asserted', 'claimed']).default('verified'),
});
const humanRef = z.strictObject({
  kind: z.enum(['human', 'agent', 'service']).default('human'),
  id: z.string().min(1),
  issuer: z.string().optional(),
  name: z.string().optional(),
  assurance: z.enum(['verified', 'asserted', 'claimed']).default('verified'),
});
const risk = z.enum(['low', 'medium', 'high']);

const requestSchema = z.strictObject({
  subject: z
    .strictObject({
      type: z.enum(['Agent', 'Service']).optional(),
      id: z.string().min(1).optional(),
      properties: z
        .object({
          name: z.string().optional(),
          assurance: z.enum(['verified', 'asserted', 'claimed']).optional(),
          requester: humanRef.nullable().optional(),
          chain: z.array(agentRef).optional(),
          chainDepth: z.number().int().positive().optional(),
          autonomous: z.boolean().optional(),
        })
        .loose()
        .optional(),
    })
    .optional(),
  action: z.strictObject({
    name: z.string().min(1),
    properties: z
      .object({
        risk: risk.optional(),
        toolType: z.enum(['function', 'extension', 'datastore']).optional(),
        permission: z.string().min(1).optional(),
        audience: z.string().optional(),
        readOnly: z.boolean().optional(),
        destructive: z.boolean().optional(),
        idempotent: z.boolean().optional(),
        openWorld: z.boolean().optional(),
      })
      .loose()
      .optional(),
  }),
  resource: z
    .strictObject({
      type: z.string().min(1),
      id: z.string().min(1),
      properties: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  context: z
    .object({
      taskId: z.string().min(1).optional(),
      correlationId: z.string().min(1).optional(),
      toolCallId: z.string().optional(),
      intent: z.string().optional(),
      scope: z.array(z.string()).optional(),
      inScope: z.boolean().optional(),
      risk: risk.optional(),
      environment: z.string().min(1).optional(),
      dataClassification: z.string().optional(),
      chainDepth: z.number().int().positive().optional(),
      autonomous: z.boolean().optional(),
      argsDigest: z.string().min(1).optional(),
    })
    .loose()
    .optional(),
});

const caseSchema = z.strictObject({
  name: z.string().min(1),
  request: requestSchema,
  expect: z.enum(['allow', 'deny', 'approval_required']),
});

/** The schema of a cases file: a non-empty array of {@link PolicyCase}. */
const casesSchema = z.array(caseSchema).min(1);

/**
 * A partial `AuthorizationRequest` as written in a cases file: only `action.name` is required.
 *
 * @example
 * ```ts
 * const request: PolicyCaseRequest = { action: { name: 'refund_order', properties: { risk: 'high' } } };
 * ```
 */
export type PolicyCaseRequest = z.input<typeof requestSchema>;

/**
 * One `writ policy test` case: a name, a (partial) request, and the effect the policies must decide.
 *
 * @example
 * ```ts
 * const c: PolicyCase = { name: 'reads are fine', request: { action: { name: 'lookup_order', properties: { readOnly: true } } }, expect: 'allow' };
 * ```
 */
export interface PolicyCase {
  readonly name: string;
  readonly request: PolicyCaseRequest;
  readonly expect: DecisionEffect;
}

/**
 * Validates the parsed JSON of a cases file; throws `WRIT_INPUT_INVALID` naming the first bad path
 * (e.g. `cases.2.request.action.name: …`).
 *
 * @example
 * ```ts
 * const cases = parsePolicyCases(JSON.parse(await readFile('cases.json', 'utf8')));
 * ```
 */
export function parsePolicyCases(value: unknown): PolicyCase[] {
  const parsed = casesSchema.safeParse(value);
  if (parsed.success) return parsed.data as PolicyCase[];
  const [problem] = formatIssues(parsed.error.issues, { root: 'cases', limit: 1 });
  throw new WritError('WRIT_INPUT_INVALID', problem ?? 'cases: invalid', {
    details: { issues: parsed.error.issues.length },
  });
}

/**
 * Completes a partial case request into the `AuthorizationRequest` the Writ pipeline would build. Only
 * `action.name` is required; the defaults mirror the pipeline:
 * - `subject`: `{ type: 'Agent', id: 'spiffe://writ.local/agent/agent' }`, `name` = the last path
 *   segment of the id, `assurance` `verified`, `requester` `null` (an autonomous task), `chain` =
 *   `[the subject]`, `chainDepth` = chain length, `autonomous` = no requester. A requester or chain entry
 *   needs only `id` (`kind` defaults to `human` / `agent`, `assurance` to `verified`).
 * - `action.properties`: `risk` `low`, `toolType` `function`, `permission` = the tool name, `readOnly`
 *   false, `destructive` = not read-only, `idempotent` false, `openWorld` true.
 * - `resource`: `{ type: 'Resource', id: 'unspecified' }`.
 * - `context`: `taskId` / `correlationId` `policy-test`, `scope` `['*']`, `inScope` = whether `scope`
 *   covers the permission (so `scope: ['orders:read']` makes other permissions scope drift), `risk` = the
 *   tool's risk, `environment` `test`, `chainDepth` / `autonomous` as the subject, `argsDigest` zeros.
 *
 * @example
 * ```ts
 * const request = toAuthorizationRequest({ action: { name: 'delete_customer' }, context: { scope: ['orders:*'] } });
 * request.context.inScope; // false
 * ```
 */
export function toAuthorizationRequest(partial: PolicyCaseRequest): AuthorizationRequest {
  const r = requestSchema.parse(partial);
  const d = POLICY_CASE_DEFAULTS;
  const subjectId = r.subject?.id ?? d.agent;
  const sp = r.subject?.properties ?? {};
  const name = sp.name ?? subjectId.split('/').at(-1) ?? subjectId;
  const assurance = sp.assurance ?? 'verified';
  const subjectType = r.subject?.type ?? 'Agent';
  const chain = sp.chain ?? [
    {
      kind: subjectType === 'Service' ? ('service' as const) : ('agent' as const),
      id: subjectId,
      name,
      assurance,
    },
  ];
  const requester = sp.requester === undefined ? null : sp.requester;
  const autonomous = sp.autonomous ?? requester === null;
  const chainDepth = sp.chainDepth ?? chain.length;
  const ap = r.action.properties ?? {};
  const toolRisk = ap.risk ?? d.risk;
  const readOnly = ap.readOnly ?? false;
  const permission = ap.permission ?? r.action.name;
  const c = r.context ?? {};
  const scope = c.scope ?? [...d.scope];
  return {
    subject: {
      type: subjectType,
      id: subjectId,
      properties: { ...sp, name, assurance, requester, chain, chainDepth, autonomous },
    },
    action: {
      name: r.action.name,
      properties: {
        ...ap,
        risk: toolRisk,
        toolType: ap.toolType ?? d.toolType,
        permission,
        readOnly,
        destructive: ap.destructive ?? !readOnly,
        idempotent: ap.idempotent ?? false,
        openWorld: ap.openWorld ?? true,
      },
    },
    resource: r.resource ?? { ...d.resource },
    context: {
      ...c,
      taskId: c.taskId ?? d.taskId,
      correlationId: c.correlationId ?? d.correlationId,
      scope,
      inScope: c.inScope ?? scopeCovers(scope, permission),
      risk: c.risk ?? toolRisk,
      environment: c.environment ?? d.environment,
      chainDepth: c.chainDepth ?? chainDepth,
      autonomous: c.autonomous ?? autonomous,
      argsDigest: c.argsDigest ?? d.argsDigest,
    },
  };
}
