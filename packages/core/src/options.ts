import type { Tracer } from '@opentelemetry/api';
import { z } from 'zod';
import type { AgentDefinition } from './agent.js';
import { WritError } from './errors.js';
import { formatIssues } from './format-issues.js';
import type {
  ApprovalHandler,
  AuditSink,
  CredentialBroker,
  Durability,
  IdentityProvider,
  PolicyEngine,
} from './interfaces.js';
import type { WritMiddleware } from './middleware.js';
import type { ApprovalMode } from './pipeline/state.js';
import { functionSchema, lazySchema } from './schemas.js';
import { isValidScopeItem } from './scope.js';
import type { ApprovalStore } from './stores/approval-store.js';
import type { CallLedgerStore } from './stores/call-ledger.js';

/**
 * Options of {@link createWrit}. Every field is optional; see {@link WRIT_DEFAULTS}.
 *
 * @example
 * ```ts
 * const options: WritOptions = {
 *   service: 'support-desk',
 *   environment: 'production',
 *   identity,
 *   policy,
 *   audit,
 *   approvals,
 *   durability: 'batched',
 *   redact: ['card.number', '*.password'],
 *   capture: { args: true },
 *   timeouts: { policyMs: 500 },
 * };
 * const writ = createWrit(options);
 * ```
 */
export interface WritOptions {
  /** Name of the service the tools run in; in every record. @default WRIT_DEFAULTS.service */
  service?: string;
  /** Deployment environment, passed to policy as `context.environment`. @default `NODE_ENV` or 'development' */
  environment?: string;
  /** Verifies requesters and resolves agent workload identity. @default asserted-only (tokens refused) */
  identity?: IdentityProvider;
  /** Decides each call. @default deny everything (fail closed) */
  policy?: PolicyEngine;
  /** Issues task and per-audience credentials. @default none (`ctx.credential` is undefined) */
  credentials?: CredentialBroker;
  /** Keeps the evidence. @default none: every call is refused with WRIT_AUDIT_UNAVAILABLE */
  audit?: AuditSink;
  /** Asks humans when policy answers `approval_required`. @default none: such calls are refused */
  approvals?: ApprovalHandler;
  /**
   * How calls needing approval wait. `block`: ask `approvals` and wait (one process, short waits).
   * `suspend`: refuse with `WRIT_APPROVAL_PENDING` and leave the approval open in `stores.approvals`, to be
   * answered from anywhere (`ApprovalStore.answer`) and the same call run again, in any process. @default 'block'
   */
  approvalMode?: ApprovalMode;
  /** How durable the decision record must be before the tool runs. @default 'strict' */
  durability?: Durability;
  /** Refuse calls outside `writ.task` (`WRIT_NO_TASK`) instead of running them as autonomous tasks. @default false */
  requireTask?: boolean;
  /** Agent name used for calls outside any task. @default 'autonomous' */
  autonomousAgent?: string;
  /**
   * The agent registry (`defineAgent`). When given, only registered agents can act; their owner and
   * purpose go into every record, their tools and scope bound what they can do. @default no registry
   */
  agents?: readonly AgentDefinition[];
  /** Your own pipeline steps; the first listed is outermost. @default [] */
  middleware?: readonly WritMiddleware[];
  /** Paths redacted from captured arguments and results (`card.number`, `*.password`). @default [] */
  redact?: readonly string[];
  /** What audit records keep beyond digests. @default { args: false, results: false } */
  capture?: { args?: boolean; results?: boolean };
  /** Size limits on what a call brings in. */
  limits?: {
    /**
     * Arguments larger than this (as JSON, measured before anything is encoded) are refused with
     * `WRIT_INPUT_INVALID` (`details.reason: 'too_large'`) and the refusal recorded. @default 1048576 (1 MiB)
     */
    argsBytes?: number;
  };
  /** Span options. Arguments and results go on spans only when opted in (GenAI semconv opt-in attributes). */
  telemetry?: {
    /** @default trace.getTracer('@writ/core') */
    tracer?: Tracer;
    /** Put `gen_ai.tool.call.arguments` on spans. @default false */
    recordInputs?: boolean;
    /** Put `gen_ai.tool.call.result` on spans. @default false */
    recordOutputs?: boolean;
    /** Put the requester in `enduser.id`. @default true */
    recordEndUser?: boolean;
    /**
     * Put a tool's own error message in the span status (it often quotes the arguments). Off, the status
     * carries the error's name (`TypeError`) and `error.type`; Writ's own refusals always carry theirs.
     * @default false
     */
    recordErrorMessages?: boolean;
  };
  /** Per-step time limits in milliseconds; a step that overruns fails closed. */
  timeouts?: {
    /** @default 2000 */
    policyMs?: number;
    /** @default 300000 */
    approvalMs?: number;
    /** @default 5000 */
    identityMs?: number;
    /** @default 5000 */
    credentialMs?: number;
    /** @default 10000 */
    auditMs?: number;
  };
  /** Epoch-ms clock. @default Date.now */
  clock?: () => number;
  /** Id generator for tasks, calls and events. @default UUIDv7 */
  generateId?: () => string;
  /**
   * Where framework tool calls and the approvals asked through a framework are remembered. @default in
   * this process's memory (a resume or an answer in another process finds nothing)
   */
  stores?: {
    /** The call ledger: one decision, one approval, one execution per framework tool call. */
    calls?: CallLedgerStore;
    /** Approvals asked through a framework, waiting for their answer. */
    approvals?: ApprovalStore;
  };
  /** Receives failures that cannot be thrown into the caller (outcome record lost, revocation failed). @default diag.error */
  onError?: (error: WritError) => void;
}

/**
 * Default option values.
 *
 * @example
 * ```ts
 * WRIT_DEFAULTS.durability; // 'strict'
 * WRIT_DEFAULTS.timeouts.policyMs; // 2000
 * const writ = createWrit({ policy, audit, timeouts: { policyMs: WRIT_DEFAULTS.timeouts.policyMs * 2 } });
 * ```
 */
export const WRIT_DEFAULTS = Object.freeze({
  service: 'writ',
  durability: 'strict' as Durability,
  approvalMode: 'block' as ApprovalMode,
  requireTask: false,
  autonomousAgent: 'autonomous',
  taskScope: Object.freeze(['*']) as readonly string[],
  /** Task tokens with less than this left are renewed before a call uses them (when the broker can). */
  renewTaskCredentialBeforeMs: 60_000,
  /**
   * How many framework tool calls the adapters' call ledger remembers (decide-then-run flows and
   * re-runs after a resume); each is forgotten after `timeouts.approvalMs`.
   */
  callLedgerSize: 10_000,
  timeouts: Object.freeze({
    policyMs: 2_000,
    approvalMs: 300_000,
    identityMs: 5_000,
    credentialMs: 5_000,
    auditMs: 10_000,
  } as {
    readonly policyMs: number;
    readonly approvalMs: number;
    readonly identityMs: number;
    readonly credentialMs: number;
    readonly auditMs: number;
  }),
  capture: Object.freeze({ args: false, results: false }),
  limits: Object.freeze({ argsBytes: 1_048_576 }),
  telemetry: Object.freeze({
    recordInputs: false,
    recordOutputs: false,
    recordEndUser: true,
    recordErrorMessages: false,
  }),
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const implementing = <T>(label: string, methods: readonly string[]) =>
  z.custom<T>((v) => isObject(v) && methods.every((m) => typeof v[m] === 'function'), {
    message: `must implement ${label} (${methods.join(', ')})`,
  });

/**
 * The zod shape of the telemetry settings that are plain values (the `tracer` aside): one home for `createWrit`
 * and the `writ` package's configuration files.
 *
 * @example
 * ```ts
 * const settings = z.strictObject(telemetrySettingsShape).parse({ recordInputs: false });
 * ```
 */
export const telemetrySettingsShape = lazySchema(() => ({
  recordInputs: z.boolean().optional(),
  recordOutputs: z.boolean().optional(),
  recordEndUser: z.boolean().optional(),
  recordErrorMessages: z.boolean().optional(),
}));

/**
 * The zod schema of `limits` (`argsBytes`: at most 1 GiB).
 *
 * @example
 * ```ts
 * limitsSchema.parse({ argsBytes: 2 * 1024 * 1024 });
 * ```
 */
export const limitsSchema = lazySchema(() =>
  z.strictObject({
    argsBytes: z.number().int().positive().max(1_073_741_824).optional(),
  }),
);

const optionsSchema = lazySchema(() => {
  const ms = z.number().int().positive().max(86_400_000);
  const name = z.string().min(1).max(256);
  return z.strictObject({
    service: name.optional(),
    environment: name.optional(),
    identity: implementing<IdentityProvider>('IdentityProvider', [
      'verifyRequester',
      'agentIdentity',
    ]).optional(),
    policy: implementing<PolicyEngine>('PolicyEngine', ['decide']).optional(),
    credentials: implementing<CredentialBroker>('CredentialBroker', [
      'issueTaskCredential',
      'credentialFor',
      'revokeTask',
    ]).optional(),
    audit: implementing<AuditSink>('AuditSink', ['append']).optional(),
    approvals: implementing<ApprovalHandler>('ApprovalHandler', ['requestApproval']).optional(),
    approvalMode: z.enum(['block', 'suspend']).optional(),
    durability: z.enum(['strict', 'batched', 'async']).optional(),
    requireTask: z.boolean().optional(),
    autonomousAgent: name.optional(),
    agents: z
      .array(
        z.custom<AgentDefinition>(
          (v) =>
            isObject(v) && typeof v.id === 'string' && typeof v.owner === 'string' && Array.isArray(v.scope),
          { message: 'must be made with defineAgent()' },
        ),
      )
      .optional(),
    middleware: z
      .array(
        z.custom<WritMiddleware>(
          (v) =>
            isObject(v) &&
            typeof v.name === 'string' &&
            ['transformRequest', 'wrapDecide', 'wrapExecute'].every(
              (hook) => v[hook] === undefined || typeof v[hook] === 'function',
            ),
          { message: 'must be a WritMiddleware ({ name, transformRequest?, wrapDecide?, wrapExecute? })' },
        ),
      )
      .optional(),
    redact: z.array(z.string().min(1)).optional(),
    capture: z.strictObject({ args: z.boolean().optional(), results: z.boolean().optional() }).optional(),
    telemetry: z
      .strictObject({
        tracer: z
          .custom<Tracer>((v) => isObject(v) && typeof v.startSpan === 'function', {
            message: 'must be an OpenTelemetry Tracer',
          })
          .optional(),
        ...telemetrySettingsShape,
      })
      .optional(),
    limits: limitsSchema.optional(),
    timeouts: z
      .strictObject({
        policyMs: ms.optional(),
        approvalMs: ms.optional(),
        identityMs: ms.optional(),
        credentialMs: ms.optional(),
        auditMs: ms.optional(),
      })
      .optional(),
    clock: functionSchema<() => number>().optional(),
    generateId: functionSchema<() => string>().optional(),
    stores: z
      .strictObject({
        calls: implementing<CallLedgerStore>('CallLedgerStore', [
          'get',
          'remember',
          'claim',
          'settle',
          'release',
        ]).optional(),
        approvals: implementing<ApprovalStore>('ApprovalStore', [
          'open',
          'get',
          'take',
          'answer',
          'list',
        ]).optional(),
      })
      .optional(),
    onError: functionSchema<(error: WritError) => void>().optional(),
  });
});

/**
 * Validates options with a zod schema, throwing `WRIT_OPTIONS_INVALID` whose message names each bad
 * option (`createFoo: options.timeoutMs: Too small…; unknown option(s) "colour"`). For Writ packages
 * and integrations that take options objects.
 *
 * @example
 * ```ts
 * const parsed = validateOptions(z.strictObject({ timeoutMs: z.number().positive().optional() }), options, 'createPdpClient');
 * ```
 */
export function validateOptions<T>(schema: z.ZodType<T>, input: unknown, fn: string): T {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = formatIssues(result.error.issues, { root: 'options' });
  throw new WritError('WRIT_OPTIONS_INVALID', `${fn}: ${problems.join('; ')}`, {
    details: { issues: problems },
  });
}

/** @internal */
export function parseWritOptions(options: WritOptions | undefined): WritOptions {
  const parsed = validateOptions(optionsSchema, options, 'createWrit');
  for (const path of parsed.redact ?? []) {
    if (path.split('.').some((segment) => segment.length === 0)) {
      throw new WritError('WRIT_OPTIONS_INVALID', `createWrit: options.redact: invalid path "${path}"`);
    }
  }
  return parsed as WritOptions;
}

/** @internal scope option schema shared by task and delegate validation. */
export const scopeSchema = lazySchema(() =>
  z.array(z.string().refine(isValidScopeItem, { message: 'invalid scope item' })).max(1024),
);
