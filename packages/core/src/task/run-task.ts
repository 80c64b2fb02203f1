import type { Attribution } from '../attribution.js';
import type { Config } from '../config.js';
import { activeContext, runInContext, type TaskState, tryGetTaskState, withTaskState } from '../context.js';
import { type Credential, toCredentialRef } from '../credential.js';
import { toWritError, WritError } from '../errors.js';
import { validateOptions, WRIT_DEFAULTS } from '../options.js';
import { callService, NEVER } from '../pipeline/deadline.js';
import {
  appendEvent,
  appendQuietly,
  type TaskOpening,
  taskEndEvent,
  taskStartEvent,
} from '../pipeline/records.js';
import {
  type DeferredStart,
  ensureStartDurable,
  nextSequence,
  startDurability,
} from '../pipeline/sync-cover.js';
import type { Principal } from '../principal.js';
import { correlationIdFromContext, withCorrelationBaggage } from '../propagation.js';
import { narrowScope, parseScope } from '../scope.js';
import { registration, resolveAgent, resolveRequester, withinRegistration } from './identities.js';
import { continueInbound } from './inbound.js';
import { revokeCredentials, revokeTask } from './revoke.js';
import {
  type DelegateOptions,
  delegateSchema,
  type TaskHandle,
  type TaskOptions,
  taskSchema,
} from './task-options.js';

type Kind = 'task' | 'delegate' | 'autonomous';

/** The ids and signal a task opens with, fixed before anything else is resolved. */
interface Opening extends TaskOpening {
  readonly taskId: string;
  readonly runId: string;
  readonly correlationId: string;
  readonly signal: AbortSignal;
}

/**
 * Opens a task (or delegation), runs `fn` inside it, and closes it (revocation, task-end record).
 * Every refusal on the way — options that do not validate, identities that do not verify, a scope wider
 * than allowed, a credential that cannot be issued — is recorded as a refused task-start before it is
 * thrown.
 */
export async function runTask<R>(
  config: Config,
  kind: Kind,
  input: TaskOptions | DelegateOptions,
  fn: (task: TaskHandle) => R,
): Promise<Awaited<R>> {
  const parent = tryGetTaskState();
  const started = performance.now();

  // 0. the options, validated inside the recording path
  let options: TaskOptions;
  try {
    options = readOptions(kind, input, parent);
  } catch (error) {
    const refusal = toWritError(error, 'WRIT_OPTIONS_INVALID');
    const opening = openingOf(config, kind, {} as TaskOptions, parent);
    await appendQuietly(config, refusedStart(config, kind, input, parent, opening, refusal));
    throw refusal;
  }
  const opening = openingOf(config, kind, options, parent);

  // 1. identities and scope
  let attribution: Attribution;
  try {
    attribution = await attributionOf(config, kind, options, parent, opening);
  } catch (error) {
    const refusal = toWritError(error, 'WRIT_IDENTITY_INVALID');
    await appendQuietly(config, refusedStart(config, kind, options, parent, opening, refusal));
    throw refusal;
  }

  // 2. the task credential, issued for this run of the task
  let credential: Credential | undefined;
  const broker = config.credentials;
  if (broker !== undefined) {
    try {
      credential = await callService({
        ms: config.timeouts.credentialMs,
        signal: opening.signal,
        run: (s) =>
          broker.issueTaskCredential(
            {
              attribution: attribution as Attribution,
              parent: parent?.credential,
              log: config.audit?.origin,
            },
            { signal: s },
          ),
        timeout: () =>
          new WritError(
            'WRIT_CREDENTIAL_UNAVAILABLE',
            `credential broker "${broker.name}" did not answer in time`,
          ),
      });
    } catch (error) {
      // the broker's own verdicts pass through; anything else is an outage
      const refusal = WritError.isInstance(error)
        ? error
        : new WritError('WRIT_CREDENTIAL_UNAVAILABLE', 'the task credential could not be issued', {
            cause: error,
          });
      await appendQuietly(config, taskStartEvent(config, attribution, refusal, opening));
      throw refusal;
    }
    attribution = { ...attribution, credential: toCredentialRef(credential) };
  }
  Object.freeze(attribution);

  // 3. the task-start record: written (and under `strict` durable) before anything of the task leaves the
  // process — its first tool runs, a hop credential, its result. With an `orderedSync` sink it is
  // written with the task's next record (one write), and the task's first strict record syncs it;
  // otherwise it is appended before the task runs, with a sync of its own under `strict`.
  const durability = startDurability(config);
  const sink = config.audit;
  let deferred: DeferredStart | undefined;
  try {
    const start = taskStartEvent(config, attribution, undefined, opening);
    if (sink?.orderedSync === true && durability !== 'async') {
      // appendEvent numbers the append synchronously, before its first await: this is its number
      const sequence = nextSequence(sink);
      const written = appendEvent(config, start, undefined, durability, true);
      // awaited by ensureStartDurable, and it stays failed for the task (no tool of it runs, its result
      // does not return); written again at once, so the task's later records do not stand without it
      written.catch(() => appendQuietly(config, start));
      deferred = { sink, sequence, written, sync: durability !== config.durability };
    } else {
      await appendEvent(config, start, undefined, durability);
    }
  } catch (error) {
    await revokeTask(config, attribution, 'task-start record not accepted');
    throw error;
  }

  const { signal } = opening;
  // an enclosing task's start first: a delegation's records must not stand in a log without it
  const enclosingStart = parent?.startDurable;
  const startDurable =
    enclosingStart === undefined
      ? () => ensureStartDurable(config, deferred)
      : () => enclosingStart().then(() => ensureStartDurable(config, deferred));
  const state: TaskState = { attribution, credential, writ: config.writ, signal, startDurable };
  const ctx = withCorrelationBaggage(withTaskState(activeContext(), state), attribution.correlationId);
  const handle: TaskHandle = Object.freeze({ attribution, credential, signal });
  // closes the task: the start record durable first (the task's result leaves the process), then the
  // credentials revoked, recorded on the task-end record (a revocation during the task has its own)
  const close = async (status: 'ok' | 'error', errorCode?: string): Promise<WritError | undefined> => {
    const unsynced = await startDurable().then(
      () => undefined,
      (error: unknown) => error as WritError,
    );
    const revoked = await revokeCredentials(config, attribution);
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    // a result withheld for a start that was not written is an error end, with its code
    const withheld = unsynced !== undefined && status === 'ok';
    const [endStatus, endCode] = withheld ? (['error', unsynced.code] as const) : [status, errorCode];
    await appendQuietly(config, taskEndEvent(config, attribution, endStatus, endCode, durationMs, revoked));
    return unsynced;
  };
  let result: Awaited<R>;
  try {
    result = await runInContext(ctx, async () => fn(handle));
  } catch (error) {
    const code = WritError.isInstance(error) ? error.code : error instanceof Error ? error.name : 'Error';
    const unsynced = await close('error', code);
    if (unsynced !== undefined) config.report(unsynced);
    throw error;
  }
  // a task whose start record cannot be made durable does not return its result
  const unsynced = await close('ok');
  if (unsynced !== undefined) throw unsynced;
  return result;
}

/** Validated options; throws `WRIT_OPTIONS_INVALID` (or `WRIT_NO_TASK` for a delegation outside a task). */
function readOptions(kind: Kind, input: unknown, parent: TaskState | undefined): TaskOptions {
  if (kind === 'delegate') {
    const options = validateOptions(delegateSchema, input, 'writ.delegate') as DelegateOptions;
    if (parent === undefined) {
      throw new WritError('WRIT_NO_TASK', 'writ.delegate() must be called inside writ.task()');
    }
    return options as TaskOptions;
  }
  const options = validateOptions(taskSchema, input, 'writ.task') as TaskOptions;
  if (options.inbound !== undefined && options.requester !== undefined) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'writ.task: options.inbound and options.requester exclude each other (the token names the requester)',
    );
  }
  if (options.inbound !== undefined && options.resume !== undefined) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      "writ.task: options.inbound and options.resume exclude each other (an inbound task keeps the caller's id)",
    );
  }
  return options;
}

/** Task id, run id, correlation id (and whether anyone vouches for it) and signal of a new task. */
function openingOf(config: Config, kind: Kind, options: TaskOptions, parent: TaskState | undefined): Opening {
  const inbound = kind === 'task' ? options.inbound : undefined;
  const own = parent?.attribution.correlationId;
  let correlationId = options.correlationId ?? inbound?.correlationId;
  let correlationUnverified = false;
  if (correlationId === undefined && kind === 'delegate') correlationId = own;
  if (correlationId === undefined) {
    const fromBaggage = correlationIdFromContext();
    if (fromBaggage !== undefined) {
      correlationId = fromBaggage;
      // inside a task, the baggage is the task's own; outside one, any caller could have set it
      correlationUnverified = fromBaggage !== own;
    }
  }
  return {
    taskId: inbound?.taskId ?? (kind === 'task' ? options.resume : undefined) ?? config.generateId(),
    runId: config.generateId(),
    correlationId: correlationId ?? own ?? config.generateId(),
    correlationUnverified,
    resumed: kind === 'task' && options.resume !== undefined,
    signal: options.signal ?? (kind === 'delegate' ? parent?.signal : undefined) ?? NEVER,
  };
}

/**
 * The attribution of a new task, delegation or continued task. Scope only narrows: a delegation, and a
 * task opened inside another task, get at most the enclosing task's scope (`WRIT_SCOPE_EXCEEDED` beyond).
 */
async function attributionOf(
  config: Config,
  kind: Kind,
  options: TaskOptions,
  parent: TaskState | undefined,
  opening: Opening,
): Promise<Attribution> {
  const { taskId, runId, correlationId, signal } = opening;
  const enclosing = parent?.attribution;
  if (kind === 'delegate' && enclosing !== undefined) {
    const registered = registration(config, options.agent);
    const scope = withinRegistration(registered, narrowScope(enclosing.scope, options.scope));
    const agent = await resolveAgent(config, options.agent, signal, registered);
    return {
      taskId,
      runId,
      correlationId,
      requester: enclosing.requester,
      autonomous: enclosing.autonomous,
      chain: Object.freeze([...enclosing.chain, agent]),
      intent: options.intent ?? enclosing.intent,
      scope,
      parentTaskId: enclosing.taskId,
      conversationId: enclosing.conversationId,
    };
  }
  const within = (scope: readonly string[]) =>
    enclosing === undefined ? scope : narrowScope(enclosing.scope, scope);
  if (kind === 'task' && options.inbound !== undefined) {
    const continued = await continueInbound(
      config,
      options.inbound,
      options.agent,
      options,
      taskId,
      correlationId,
      signal,
    );
    return { ...continued, runId, scope: within(continued.scope) };
  }
  const registered = registration(config, options.agent);
  const requested = options.scope ?? registered?.scope ?? enclosing?.scope ?? WRIT_DEFAULTS.taskScope;
  const scope = withinRegistration(registered, within(parseScope(requested)));
  const requester = await resolveRequester(config, options.requester, signal);
  const agent = await resolveAgent(config, options.agent, signal, registered);
  return {
    taskId,
    runId,
    correlationId,
    requester,
    autonomous: kind === 'autonomous' || requester === undefined,
    chain: Object.freeze([agent]),
    intent: options.intent,
    scope,
    parentTaskId: enclosing?.taskId,
    conversationId: options.conversationId,
  };
}

/**
 * The record of a task refused before it had an attribution: what could be read of the options (an agent
 * name within bounds, the enclosing task's requester and chain for a delegation), never more.
 */
function refusedStart(
  config: Config,
  kind: Kind,
  input: unknown,
  parent: TaskState | undefined,
  opening: Opening,
  refusal: WritError,
) {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const name = typeof raw.agent === 'string' && raw.agent.length > 0 ? raw.agent.slice(0, 256) : '(invalid)';
  const provisional: Principal = { kind: 'agent', id: name, name, assurance: 'asserted' };
  const enclosing = kind === 'delegate' ? parent?.attribution : undefined;
  const intent = typeof raw.intent === 'string' && raw.intent.length <= 8192 ? raw.intent : undefined;
  return taskStartEvent(
    config,
    {
      taskId: opening.taskId,
      correlationId: opening.correlationId,
      requester: enclosing?.requester,
      autonomous: enclosing?.autonomous ?? raw.requester === undefined,
      chain: enclosing === undefined ? [provisional] : [...enclosing.chain, provisional],
      intent: intent ?? enclosing?.intent,
      scope: [],
      parentTaskId: parent?.attribution.taskId,
    },
    refusal,
    opening,
  );
}
