import type { Attribution } from '../attribution.js';
import type { Config } from '../config.js';
import { activeContext, runInContext, type TaskState, tryGetTaskState, withTaskState } from '../context.js';
import { type Credential, toCredentialRef } from '../credential.js';
import { toWritError, WritError } from '../errors.js';
import { validateOptions, WRIT_DEFAULTS } from '../options.js';
import { callService, NEVER } from '../pipeline/deadline.js';
import { appendEvent, appendQuietly, taskEndEvent, taskStartEvent } from '../pipeline/records.js';
import type { Principal } from '../principal.js';
import { correlationIdFromContext, withCorrelationBaggage } from '../propagation.js';
import { narrowScope, parseScope } from '../scope.js';
import { registration, resolveAgent, resolveRequester, withinRegistration } from './identities.js';
import { continueInbound } from './inbound.js';
import { revokeTask } from './revoke.js';
import {
  type DelegateOptions,
  delegateSchema,
  type TaskHandle,
  type TaskOptions,
  taskSchema,
} from './task-options.js';

type Kind = 'task' | 'delegate' | 'autonomous';

/** Opens a task (or delegation), runs `fn` inside it, and closes it (revocation, task-end record). */
export async function runTask<R>(
  config: Config,
  kind: Kind,
  input: TaskOptions | DelegateOptions,
  fn: (task: TaskHandle) => R,
): Promise<Awaited<R>> {
  const parent = tryGetTaskState();
  const options =
    kind === 'delegate'
      ? (validateOptions(delegateSchema, input, 'writ.delegate') as DelegateOptions)
      : (validateOptions(taskSchema, input, 'writ.task') as TaskOptions);
  if (kind === 'delegate' && parent === undefined) {
    throw new WritError('WRIT_NO_TASK', 'writ.delegate() must be called inside writ.task()');
  }
  const started = performance.now();
  const taskOptions = options as TaskOptions;
  const inbound = kind === 'task' ? taskOptions.inbound : undefined;
  if (inbound !== undefined && taskOptions.requester !== undefined) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'writ.task: options.inbound and options.requester exclude each other (the token names the requester)',
    );
  }
  const taskId = inbound?.taskId ?? config.generateId();
  const correlationId =
    taskOptions.correlationId ??
    inbound?.correlationId ??
    (kind === 'delegate' ? parent?.attribution.correlationId : undefined) ??
    correlationIdFromContext() ??
    parent?.attribution.correlationId ??
    config.generateId();
  const signal = options.signal ?? (kind === 'delegate' ? parent?.signal : undefined) ?? NEVER;
  const provisional: Principal = {
    kind: 'agent',
    id: options.agent,
    name: options.agent,
    assurance: 'asserted',
  };

  // 1. identities and scope: refusals are audited as a refused task-staconfig
  let attribution: Attribution;
  try {
    if (kind === 'delegate' && parent !== undefined) {
      const registered = registration(config, options.agent);
      const scope = withinRegistration(registered, narrowScope(parent.attribution.scope, options.scope));
      const agent = await resolveAgent(config, options.agent, signal, registered);
      attribution = {
        taskId,
        correlationId,
        requester: parent.attribution.requester,
        autonomous: parent.attribution.autonomous,
        chain: Object.freeze([...parent.attribution.chain, agent]),
        intent: options.intent ?? parent.attribution.intent,
        scope,
        parentTaskId: parent.attribution.taskId,
        conversationId: parent.attribution.conversationId,
      };
    } else if (inbound !== undefined) {
      attribution = await continueInbound(
        config,
        inbound,
        options.agent,
        taskOptions,
        taskId,
        correlationId,
        signal,
      );
    } else {
      const registered = registration(config, options.agent);
      const scope = withinRegistration(
        registered,
        parseScope(taskOptions.scope ?? registered?.scope ?? WRIT_DEFAULTS.taskScope),
      );
      const requester = await resolveRequester(config, taskOptions.requester, signal);
      const agent = await resolveAgent(config, options.agent, signal, registered);
      attribution = {
        taskId,
        correlationId,
        requester,
        autonomous: kind === 'autonomous' || requester === undefined,
        chain: Object.freeze([agent]),
        intent: taskOptions.intent,
        scope,
        parentTaskId: parent?.attribution.taskId,
        conversationId: taskOptions.conversationId,
      };
    }
  } catch (error) {
    const refusal = toWritError(error, 'WRIT_IDENTITY_INVALID');
    const base = parent?.attribution;
    await appendQuietly(
      config,
      taskStartEvent(
        config,
        {
          taskId,
          correlationId,
          requester: kind === 'delegate' ? base?.requester : undefined,
          autonomous: kind === 'delegate' ? (base?.autonomous ?? true) : taskOptions.requester === undefined,
          chain: kind === 'delegate' && base ? [...base.chain, provisional] : [provisional],
          intent: options.intent ?? (kind === 'delegate' ? base?.intent : undefined),
          scope: [],
          parentTaskId: base?.taskId,
        },
        refusal,
      ),
    );
    throw refusal;
  }

  // 2. the task credential
  let credential: Credential | undefined;
  const broker = config.credentials;
  if (broker !== undefined) {
    try {
      credential = await callService({
        ms: config.timeouts.credentialMs,
        signal,
        run: (s) => broker.issueTaskCredential({ attribution, parent: parent?.credential }, { signal: s }),
        timeout: () =>
          new WritError(
            'WRIT_CREDENTIAL_UNAVAILABLE',
            `credential broker "${broker.name}" did not answer in time`,
          ),
      });
    } catch (error) {
      const refusal = WritError.isInstance(error)
        ? error
        : new WritError('WRIT_CREDENTIAL_UNAVAILABLE', 'the task credential could not be issued', {
            cause: error,
          });
      await appendQuietly(config, taskStartEvent(config, attribution, refusal));
      throw refusal;
    }
    attribution = { ...attribution, credential: toCredentialRef(credential) };
  }
  Object.freeze(attribution);

  // 3. the task-start record must be in the log before anything runs
  try {
    await appendEvent(config, taskStartEvent(config, attribution));
  } catch (error) {
    await revokeTask(config, attribution, 'task-start record not accepted');
    throw error;
  }

  const state: TaskState = { attribution, credential, writ: config.writ, signal };
  const ctx = withCorrelationBaggage(withTaskState(activeContext(), state), correlationId);
  const handle: TaskHandle = Object.freeze({ attribution, credential, signal });
  let status: 'ok' | 'error' = 'ok';
  let errorCode: string | undefined;
  try {
    return await runInContext(ctx, async () => fn(handle));
  } catch (error) {
    status = 'error';
    errorCode = WritError.isInstance(error) ? error.code : error instanceof Error ? error.name : 'Error';
    throw error;
  } finally {
    await revokeTask(config, attribution, 'task-end');
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    await appendQuietly(config, taskEndEvent(config, attribution, status, errorCode, durationMs));
  }
}
