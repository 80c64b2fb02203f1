import { canonicalJson, sha256Hex, withSortedKeys } from '../canonical-json.js';
import { WritError } from '../errors.js';
import { formatIssues } from '../format-issues.js';
import { ATTR } from '../telemetry.js';
import { deepFreeze, privateCopy } from './arguments.js';
import { abortError } from './deadline.js';
import { redactedJson } from './records.js';
import type { CallRun } from './state.js';

/**
 * Stage 1: the arguments. Refuses arguments over `limits.argsBytes`, takes a private copy of the rest
 * (data only: what the caller holds can no longer change what runs), validates it against the tool's
 * input schema, digests the canonical JSON of the validated value (which also proves it is JSON), and
 * resolves the resource and data classification from it. Fills in `run.call` — its `args` are what the
 * tool will get, frozen; refuses with `WRIT_INPUT_INVALID`. A run of arguments `check` already validated
 * takes what it worked out (`run.checked`). With `keepSnapshot` (for `check`), returns a frozen private
 * copy of the arguments as given, before validation.
 */
export async function validate(run: CallRun, keepSnapshot = false): Promise<unknown> {
  if (run.signal.aborted) throw abortError(run.signal);
  const { def, config } = run;
  if (run.checked !== undefined) {
    // `check` did all of this for these very arguments (see checked-calls.ts): the tool gets what it judged
    run.call = { ...run.checked.call, id: run.call.id };
    if (config.telemetry.recordInputs)
      run.span.setAttribute(ATTR.GEN_AI_TOOL_CALL_ARGUMENTS, redactedJson(config, run.call.args));
    return undefined;
  }
  let args: unknown = privateCopy(run.rawArgs, def.name, config.limits.argsBytes);
  // for `check`: what `run`'s arguments must equal (a copy of the copy, made before a validator sees it)
  let snapshot: unknown;
  if (def.input !== undefined) {
    if (keepSnapshot) snapshot = deepFreeze(privateCopy(args, def.name, Number.POSITIVE_INFINITY));
    let result: Awaited<ReturnType<NonNullable<typeof def.input>['~standard']['validate']>>;
    try {
      result = await def.input['~standard'].validate(args);
    } catch (error) {
      throw new WritError('WRIT_INPUT_INVALID', `arguments of ${def.name} could not be validated`, {
        cause: error,
      });
    }
    if (result.issues !== undefined) {
      const issues = formatIssues(result.issues, { limit: 20 });
      throw new WritError('WRIT_INPUT_INVALID', `invalid arguments for ${def.name}: ${issues.join('; ')}`, {
        details: { tool: def.name, issues },
      });
    }
    args = result.value;
  }
  let argsDigest: string;
  try {
    // one serialisation: it both proves the arguments are JSON and is what gets digested
    argsDigest = sha256Hex(canonicalJson(args === undefined ? null : args));
  } catch (error) {
    throw new WritError('WRIT_INPUT_INVALID', `arguments of ${def.name} are not JSON-serialisable`, {
      cause: error,
    });
  }
  let resource = run.call.resource;
  let dataClassification: string | undefined;
  try {
    if (def.resource) resource = def.resource(args);
    dataClassification =
      typeof def.dataClassification === 'function' ? def.dataClassification(args) : def.dataClassification;
  } catch (error) {
    throw new WritError('WRIT_INPUT_INVALID', `could not resolve the resource of ${def.name}`, {
      cause: error,
    });
  }
  if (typeof resource?.type !== 'string' || typeof resource.id !== 'string') {
    throw new WritError(
      'WRIT_INPUT_INVALID',
      `resource() of ${def.name} must return { type: string, id: string }`,
    );
  }
  // the resource object the application returned, its keys in canonical order (it is in every decision record)
  run.call = {
    ...run.call,
    args: deepFreeze(args),
    argsDigest,
    resource: withSortedKeys(resource),
    dataClassification,
  };
  if (run.config.telemetry.recordInputs)
    run.span.setAttribute(ATTR.GEN_AI_TOOL_CALL_ARGUMENTS, redactedJson(run.config, args));
  return keepSnapshot && def.input === undefined ? run.call.args : snapshot;
}
