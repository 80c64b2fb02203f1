import type { CommandContext } from './command-context.js';
import type { Evidence } from './evidence-flags.js';
import { readShownLog, type ShownLog } from './shown-log.js';

/**
 * A fleet bundle (`writ export`) where a log is expected: read as its logs, the fleet log first, then
 * every member, each verified with the key the fleet log endorsed for it and anchored by its newest
 * sealed checkpoint, once the fleet log verifies with the key given for the bundle (`--key`). Without
 * that key (or when the fleet log does not verify), members are verified with the key they name
 * themselves: unpinned, as a log read without `--key` is.
 */

/** A PostgreSQL log given as `postgres://…#<log id>`: never a bundle. */
const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * The logs of the bundle `target`, each read for showing; `undefined` when `target` is not a bundle.
 *
 * @example
 * ```ts
 * const logs = (await readBundleLogs(ctx, target, evidence)) ?? [await readShownLog(ctx, target, evidence)];
 * ```
 */
export async function readBundleLogs(
  ctx: CommandContext,
  target: string,
  evidence: Evidence,
): Promise<ShownLog[] | undefined> {
  if (POSTGRES_URL.test(target)) return undefined;
  const { FleetState, isFleetBundle, openFleetBundle } = await import('@writ/audit');
  const dir = ctx.path(target);
  if (!(await isFleetBundle(dir))) return undefined;
  const { fleetDir, memberDirs } = await openFleetBundle(dir);
  const fleet = await readShownLog(ctx, fleetDir, evidence);
  const state = new FleetState();
  for (const { index, event } of fleet.events) state.push(index, event);
  const trusted =
    fleet.verification?.keyPinned === true &&
    fleet.verification.state !== 'failed' &&
    state.problem === undefined;
  const logs = [fleet];
  for (const [logId, memberDir] of memberDirs) {
    const member = trusted ? state.members.get(logId) : undefined;
    const anchor = member?.seals.at(-1)?.note;
    logs.push(
      await readShownLog(ctx, memberDir, {
        verify: evidence.verify,
        ...(member === undefined || !evidence.verify ? {} : { verifierKey: member.endorsement.verifierKey }),
        ...(anchor === undefined || !evidence.verify ? {} : { checkpoint: anchor }),
      }),
    );
  }
  return logs;
}
