import { WritError } from '@writ/core';
import {
  type AppendOptions,
  type AuditEvent,
  type AuditReceipt,
  type AuditSink,
  canonicalJson,
} from '@writ/core/plugin';

/**
 * The part of an OpenTelemetry `Logger` (from `@opentelemetry/api-logs`) Writ uses. Pass
 * `logs.getLogger('writ-audit')` from your logs SDK setup.
 *
 * @example
 * ```ts
 * import { logs } from '@opentelemetry/api-logs';
 *
 * const logger: LoggerLike = logs.getLogger('writ-audit');
 * const audit = teeAuditSink(await createFileAuditSink(), createOtelLogSink({ logger }));
 * ```
 */
export interface LoggerLike {
  emit(record: {
    timestamp?: number;
    severityNumber?: number;
    severityText?: string;
    eventName?: string;
    body?: string;
    attributes?: Record<string, string | number | boolean | string[] | undefined>;
  }): void;
}

/**
 * Options of {@link createOtelLogSink}.
 *
 * @example
 * ```ts
 * import { logs } from '@opentelemetry/api-logs';
 *
 * const options: CreateOtelLogSinkOptions = { logger: logs.getLogger('writ-audit'), name: 'siem' };
 * const audit = teeAuditSink(await createFileAuditSink(), createOtelLogSink(options));
 * ```
 */
export interface CreateOtelLogSinkOptions {
  /** An OpenTelemetry logger. */
  logger: LoggerLike;
  /** Name of this sink in receipts. @default 'otel-logs' */
  name?: string;
}

const SEVERITY = { INFO: 9, WARN: 13 } as const;

/**
 * Exports audit events as OpenTelemetry log records (`eventName: writ.audit.<kind>`, body = the event's
 * canonical JSON, `writ.*` attributes for search), to reach an existing SIEM through the OTel Collector.
 * It is not tamper-evident on its own: use it beside the file or PostgreSQL sink with {@link teeAuditSink}.
 * Refusals are exported at WARN severity.
 *
 * @example
 * ```ts
 * import { logs } from '@opentelemetry/api-logs';
 *
 * const audit = teeAuditSink(await createFileAuditSink(), createOtelLogSink({ logger: logs.getLogger('writ-audit') }));
 * ```
 */
export function createOtelLogSink(options: CreateOtelLogSinkOptions): AuditSink {
  if (typeof options?.logger?.emit !== 'function') {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'createOtelLogSink: options.logger: must be an OpenTelemetry Logger',
    );
  }
  const { logger } = options;
  const name = options.name ?? 'otel-logs';
  let index = 0;
  return {
    name,
    async append(event: AuditEvent, _options: AppendOptions): Promise<AuditReceipt> {
      const refused =
        (event.kind === 'decision' && (event.refusal !== undefined || event.decision.effect === 'deny')) ||
        (event.kind === 'task-start' && event.status === 'refused') ||
        (event.kind === 'outcome' && event.outcome.status !== 'ok');
      const attributes: Record<string, string | number | boolean | string[] | undefined> = {
        'writ.event.kind': event.kind,
        'writ.event.id': event.id,
        'writ.task.id': event.taskId,
        'writ.correlation_id': event.correlationId,
        'writ.chain': event.chain.map((p) => p.id),
        'writ.autonomous': event.autonomous,
        'enduser.id': event.requester?.id,
        'service.name': event.service,
      };
      if (event.kind === 'decision') {
        attributes['gen_ai.tool.name'] = event.call.name;
        attributes['gen_ai.tool.call.id'] = event.call.id;
        attributes['writ.policy.effect'] = event.decision.effect;
        attributes['writ.policy.decision_id'] = event.decision.decisionId;
        attributes['writ.policy.ids'] = [...event.decision.policyIds];
        if (event.refusal) attributes['error.type'] = event.refusal.code;
      }
      if (event.kind === 'outcome') {
        attributes['gen_ai.tool.call.id'] = event.call.id;
        attributes['writ.outcome.status'] = event.outcome.status;
      }
      logger.emit({
        timestamp: Date.parse(event.time),
        severityNumber: refused ? SEVERITY.WARN : SEVERITY.INFO,
        severityText: refused ? 'WARN' : 'INFO',
        eventName: `writ.audit.${event.kind}`,
        body: canonicalJson(event),
        attributes,
      });
      return { log: name, index: index++, leafHash: '' };
    },
  };
}

/**
 * Appends to `primary` (whose receipt and durability count) and mirrors each event to other sinks
 * without waiting for them; a mirror's failure goes to `onError` and never stops a call.
 *
 * @example
 * ```ts
 * const audit = teeAuditSink(fileSink, [createOtelLogSink({ logger })], { onError: (e) => diag.warn(e.message) });
 * ```
 */
export function teeAuditSink(
  primary: AuditSink,
  mirrors: AuditSink | readonly AuditSink[],
  options: { onError?: (error: WritError) => void } = {},
): AuditSink {
  const list = Array.isArray(mirrors) ? [...mirrors] : [mirrors as AuditSink];
  const report = (error: unknown, sink: AuditSink) => {
    const failure = WritError.isInstance(error)
      ? error
      : new WritError('WRIT_AUDIT_UNAVAILABLE', `audit mirror "${sink.name}" failed`, { cause: error });
    try {
      options.onError?.(failure);
    } catch {
      // never let reporting break a call
    }
  };
  return {
    name: `${primary.name}+${list.map((s) => s.name).join('+')}`,
    // durability is the primary's: so is the promise that a sync covers what was appended before it
    orderedSync: primary.orderedSync === true,
    async append(event, appendOptions) {
      const receipt = await primary.append(event, appendOptions);
      for (const mirror of list) {
        try {
          mirror.append(event, { durability: 'async' }).catch((error: unknown) => report(error, mirror));
        } catch (error) {
          report(error, mirror);
        }
      }
      return receipt;
    },
    async flush() {
      await primary.flush?.();
      await Promise.all(list.map((m) => m.flush?.().catch((error: unknown) => report(error, m))));
    },
    async close() {
      await primary.close?.();
      await Promise.all(list.map((m) => m.close?.().catch((error: unknown) => report(error, m))));
    },
  };
}
