import type { Credential } from '../credential.js';
import { WritError } from '../errors.js';
import type { CredentialBroker } from '../interfaces.js';
import { WRIT_DEFAULTS } from '../options.js';
import { ATTR, validSpanId } from '../telemetry.js';
import { callService } from './deadline.js';
import type { CallRun } from './state.js';

/**
 * Stage 4: the credential the tool runs with — the task token (renewed first when about to expire), or,
 * for a tool with an `audience`, a credential the broker mints or exchanges for that audience, within
 * `timeouts.credentialMs`. Fills in `run.credential`; refuses with `WRIT_CREDENTIAL_UNAVAILABLE` (or the
 * broker's own `WRIT_SCOPE_EXCEEDED`).
 */
export async function issueCredential(run: CallRun): Promise<void> {
  const { config, call } = run;
  const current = taskCredential(run);
  // no promise (and no turn of the microtask queue) unless the task token is being renewed
  const taskToken = current instanceof Promise ? await current : current;
  if (call.audience === undefined) {
    run.credential = taskToken;
  } else {
    const broker = config.credentials;
    if (broker === undefined) {
      throw new WritError(
        'WRIT_CREDENTIAL_UNAVAILABLE',
        `${call.name} needs a credential for ${call.audience} but no credential broker is configured`,
      );
    }
    const audience = call.audience;
    run.credential = await callService({
      ms: config.timeouts.credentialMs,
      signal: run.signal,
      run: (signal) =>
        broker.credentialFor(
          {
            attribution: run.attribution,
            call,
            audience,
            taskCredential: taskToken,
            log: config.audit?.origin,
            spanId: validSpanId(run.span.spanContext()),
          },
          { signal },
        ),
      timeout: () =>
        new WritError(
          'WRIT_CREDENTIAL_UNAVAILABLE',
          `credential broker "${broker.name}" did not answer within ${config.timeouts.credentialMs} ms`,
        ),
      // a broker's own verdicts pass through: a widened credential is a scope refusal, not an outage
      passes: ['WRIT_CREDENTIAL_UNAVAILABLE', 'WRIT_SCOPE_EXCEEDED'],
      failure: (error) =>
        new WritError(
          'WRIT_CREDENTIAL_UNAVAILABLE',
          `no credential for ${audience}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        ),
    });
  }
  if (run.credential !== undefined) run.span.setAttribute(ATTR.WRIT_CREDENTIAL_JTI, run.credential.jti);
}

/** The task credential, renewed first when it is about to expire and the broker can renew. */
function taskCredential(run: CallRun): Credential | undefined | Promise<Credential | undefined> {
  const { config, task } = run;
  const current = task.credential;
  const broker = config.credentials;
  if (
    current === undefined ||
    broker?.renewTaskCredential === undefined ||
    current.expiresAt - config.clock() > WRIT_DEFAULTS.renewTaskCredentialBeforeMs
  ) {
    return current;
  }
  return renewed(
    run,
    current,
    broker as CredentialBroker & Required<Pick<CredentialBroker, 'renewTaskCredential'>>,
  );
}

/** The task token, renewed (one renewal per task at a time, shared by concurrent calls). */
async function renewed(
  run: CallRun,
  current: Credential,
  broker: CredentialBroker & Required<Pick<CredentialBroker, 'renewTaskCredential'>>,
): Promise<Credential | undefined> {
  const { config, task } = run;
  if (task.renewing === undefined) {
    const renew = broker.renewTaskCredential.bind(broker);
    // one renewal per task at a time, shared by concurrent calls
    task.renewing = callService({
      ms: config.timeouts.credentialMs,
      signal: run.signal,
      run: (signal) =>
        renew({ attribution: task.attribution, credential: current, log: config.audit?.origin }, { signal }),
      timeout: () =>
        new WritError(
          'WRIT_CREDENTIAL_UNAVAILABLE',
          `credential broker "${broker.name}" did not renew the task token in time`,
        ),
    })
      .then((renewed) => {
        task.credential = renewed;
        return renewed;
      })
      .finally(() => {
        task.renewing = undefined;
      });
  }
  try {
    return await task.renewing;
  } catch (error) {
    if (WritError.isInstance(error, 'WRIT_ABORTED')) throw error;
    throw new WritError('WRIT_CREDENTIAL_UNAVAILABLE', 'the task token could not be renewed', {
      cause: error,
    });
  }
}
