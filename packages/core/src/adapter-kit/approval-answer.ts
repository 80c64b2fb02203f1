import { z } from 'zod';
import type { FrameworkApproval } from '../pipeline/state.js';
import type { Principal, PrincipalKind } from '../principal.js';

/**
 * A human's answer to an approval Writ asked for through a framework, as the application hands it back
 * (LangGraph resume value, Mastra resume data): whether they approved, why, and who they say they are.
 *
 * @example
 * ```ts
 * const answer: ApprovalAnswerLike = { approved: true, approver: { id: 'maria@example.com', name: 'Maria' } };
 * ```
 */
export interface ApprovalAnswerLike {
  readonly approved: boolean;
  readonly reason?: string | undefined;
  /** Who answered, as the application names them. */
  readonly approver?:
    | {
        readonly id: string;
        readonly kind?: PrincipalKind | undefined;
        readonly name?: string | undefined;
        readonly issuer?: string | undefined;
      }
    | undefined;
}

/**
 * The {@link FrameworkApproval} an answer stands for. The approver is recorded with assurance
 * `asserted` (the application vouches for it, nothing verified it) and kind `human` unless named;
 * absent fields stay absent, so the pipeline's defaults apply (the task's requester for an approval).
 *
 * @example
 * ```ts
 * const approval = answeredApproval({ approved: true, approver: { id: 'maria@example.com' } });
 * // { approved: true, approver: { kind: 'human', id: 'maria@example.com', assurance: 'asserted' } }
 * await adapted.run(args, { toolCallId, approval });
 * ```
 */
export function answeredApproval(answer: ApprovalAnswerLike): FrameworkApproval {
  const given = answer.approver;
  const approver: Principal | undefined =
    given === undefined
      ? undefined
      : {
          kind: given.kind ?? 'human',
          id: given.id,
          assurance: 'asserted',
          ...(given.name === undefined ? {} : { name: given.name }),
          ...(given.issuer === undefined ? {} : { issuer: given.issuer }),
        };
  return {
    approved: answer.approved,
    ...(approver === undefined ? {} : { approver }),
    ...(answer.reason === undefined ? {} : { reason: answer.reason }),
  };
}

/**
 * zod schema of an approver an application passes as an option (`approveCall(…, { approver })`,
 * `writTools(…, { approver })`): a principal with `kind`, a non-empty `id` and `assurance`; other keys
 * (`name`, `issuer`, `claims`…) are kept.
 *
 * @example
 * ```ts
 * import { validateOptions } from '@writ/core/internal';
 * import { z } from 'zod';
 *
 * const { approver } = validateOptions(z.strictObject({ approver: approverSchema.optional() }), options, 'approveCall');
 * ```
 */
export const approverSchema: z.ZodType<Principal> = z.looseObject({
  kind: z.enum(['human', 'agent', 'service']),
  id: z.string().min(1).max(2048),
  assurance: z.enum(['verified', 'asserted', 'claimed']),
}) as unknown as z.ZodType<Principal>;
