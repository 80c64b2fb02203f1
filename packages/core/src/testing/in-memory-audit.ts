import { createHash } from 'node:crypto';
import type { AuditEvent, AuditEventKind } from '../audit-event.js';
import { canonicalJson } from '../canonical-json.js';
import type { AppendOptions, AuditReceipt, AuditSink } from '../interfaces.js';
import { createSharedContextReader } from '../shared-context.js';

/**
 * An in-memory audit sink with helpers to inspect what was recorded and to simulate outages.
 *
 * @example
 * ```ts
 * const audit: InMemoryAuditSink = createInMemoryAuditSink();
 * // … run a task making one call through createWrit({ audit, credentials, … }) …
 * const [task] = audit.ofKind('task-start');
 * expect(audit.forTask(task?.taskId ?? '').map((e) => e.kind)).toEqual(['task-start', 'decision', 'outcome', 'task-end']);
 * // records written after the fact are not waited on
 * expect(audit.durabilities).toEqual(['strict', 'strict', 'batched', 'batched', 'batched']);
 * ```
 */
export interface InMemoryAuditSink extends AuditSink {
  /**
   * Every appended event, in log order, as an investigator reads it: a decision record's evaluated
   * context whole (resolved from its `sharedContext`, as `@writ/audit`'s readers do).
   */
  readonly events: AuditEvent[];
  /** The stored bytes of each event (RFC 8785 canonical JSON; decision records as stored, by reference). */
  readonly lines: string[];
  /** Durability requested for each append, in order. */
  readonly durabilities: AppendOptions['durability'][];
  ofKind<K extends AuditEventKind>(kind: K): Extract<AuditEvent, { kind: K }>[];
  forTask(taskId: string): AuditEvent[];
  /** While set, every `append` rejects with this error (simulates an unavailable sink). */
  setFailure(error: Error | undefined): void;
  /** Appends that were refused because of `setFailure`. */
  readonly refused: AuditEvent[];
}

/**
 * An audit sink for tests: keeps events in memory (as canonical JSON lines, like the real sinks) and
 * can be made to fail to prove that nothing runs without its record.
 *
 * @example
 * ```ts
 * const audit = createInMemoryAuditSink();
 * const writ = createWrit({ audit, ... });
 * // …
 * expect(audit.ofKind('decision')[0]?.decision.effect).toBe('allow');
 * audit.setFailure(new Error('disk full')); // next calls are refused with WRIT_AUDIT_UNAVAILABLE
 * ```
 */
export function createInMemoryAuditSink(options: { log?: string } = {}): InMemoryAuditSink {
  const log = options.log ?? 'memory';
  const events: AuditEvent[] = [];
  const lines: string[] = [];
  const durabilities: AppendOptions['durability'][] = [];
  const refused: AuditEvent[] = [];
  let failure: Error | undefined;
  const contexts = createSharedContextReader();
  return {
    name: 'in-memory',
    origin: log,
    events,
    lines,
    durabilities,
    refused,
    async append(event: AuditEvent, appendOptions: AppendOptions): Promise<AuditReceipt> {
      if (failure !== undefined) {
        refused.push(event);
        throw failure;
      }
      const line = canonicalJson(event);
      const index = events.length;
      const stored = JSON.parse(line) as AuditEvent;
      contexts.hold(index, stored);
      events.push(contexts.resolve(index, stored).record);
      lines.push(line);
      durabilities.push(appendOptions.durability);
      const leafHash = createHash('sha256')
        .update(Buffer.from([0]))
        .update(line, 'utf8')
        .digest('hex');
      return { log, index, leafHash };
    },
    ofKind<K extends AuditEventKind>(kind: K) {
      return events.filter((e): e is Extract<AuditEvent, { kind: K }> => e.kind === kind);
    },
    forTask: (taskId: string) => events.filter((e) => e.taskId === taskId),
    setFailure(error: Error | undefined) {
      failure = error;
    },
  };
}
