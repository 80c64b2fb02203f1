// Shared set-up of the trust-boundary attacks: a Writ instance on the in-memory pieces users get from
// @writ/core/testing, with two verified users, and helpers to read what it recorded.
import { createWrit, type Principal, type TaskOptions, type Writ, type WritOptions } from '@writ/core';
import type { AuditEvent } from '@writ/core/plugin';
import {
  createInMemoryAuditSink,
  createInMemoryCredentialBroker,
  createInMemoryIdentity,
  createInMemoryPolicy,
  type InMemoryAuditSink,
  type InMemoryCredentialBroker,
  type PolicyRule,
} from '@writ/core/testing';

export const ALICE = 'token-alice';
export const BOB = 'token-bob';
export const MARIA: Principal = { kind: 'human', id: 'maria@example.com', assurance: 'verified' };

/** A Writ on in-memory pieces, and readers of what it recorded. */
export interface Instance {
  readonly writ: Writ;
  readonly audit: InMemoryAuditSink;
  readonly credentials: InMemoryCredentialBroker;
  /** Records of one kind, for one task. */
  ofTask<K extends AuditEvent['kind']>(kind: K, taskId: string): Extract<AuditEvent, { kind: K }>[];
}

export function instance(options: { rules?: PolicyRule[]; writ?: WritOptions } = {}): Instance {
  const audit = createInMemoryAuditSink();
  const credentials = createInMemoryCredentialBroker();
  const writ = createWrit({
    service: 'support',
    identity: createInMemoryIdentity({
      requesters: { [ALICE]: { id: 'alice@example.com' }, [BOB]: { id: 'bob@example.com' } },
    }),
    policy: createInMemoryPolicy({
      rules: options.rules ?? [
        { id: 'statements', effect: 'allow', tool: 'get_statement' },
        { id: 'refunds', effect: 'approval_required', tool: 'refund_order' },
      ],
    }),
    audit,
    credentials,
    ...options.writ,
  });
  /** Records of one kind, for one task. */
  const ofTask = <K extends AuditEvent['kind']>(kind: K, taskId: string) =>
    audit.ofKind(kind).filter((e) => e.taskId === taskId);
  return { writ, audit, credentials, ofTask };
}

/**
 * The task options of a user's request to the `support` agent; `resume` continues the task that asked
 * (the request that carries the answer to an approval).
 */
export function asUser(requester: string, resume?: string): TaskOptions {
  return { requester, agent: 'support', ...(resume === undefined ? {} : { resume }) };
}
