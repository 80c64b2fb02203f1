import type { FleetProblem, VerifyFleetResult } from '@writ/audit';
import type { CommandContext } from '../command-context.js';
import type { Evidence } from '../evidence-flags.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { safeTerminalText } from '../terminal-text.js';
import { type VerifyJson, verdictHeadline, verdictJson } from '../verdict.js';

/**
 * `writ verify --fleet <bundle>`: the fleet log, every member with its endorsed key, sealed prefixes,
 * completeness both ways; the logs read and hashed by worker threads in parallel.
 */

/**
 * What `writ verify --fleet --json` prints.
 *
 * @example
 * ```ts
 * const { firstBad } = JSON.parse(stdout) as VerifyFleetJson;
 * if (firstBad) console.error(`${firstBad.log} record ${firstBad.index}: ${firstBad.reason}`);
 * ```
 */
export interface VerifyFleetJson {
  readonly bundle: string;
  readonly ok: boolean;
  readonly state: VerifyFleetResult['state'];
  readonly firstBad: FleetProblem | null;
  readonly problems: VerifyFleetResult['problems'];
  /** The fleet log's verdict, as `writ verify --json` prints one. */
  readonly fleet: VerifyJson;
  readonly members: VerifyFleetResult['members'];
  readonly records: number;
  readonly workers: number;
  readonly ms: number;
}

/**
 * Verifies the bundle `dir` and prints the verdict; returns the exit code: 0 every log verified and the
 * fleet log anchored (`--checkpoint` or `--witness`), 4 verified with the fleet key but the fleet log
 * unanchored, 5 no fleet key (`--key`), 1 anything failed (the first bad log and record named).
 *
 * @example
 * ```ts
 * return runFleetVerification(ctx, dir, evidence, witnesses, { deep: false });
 * ```
 */
export async function runFleetVerification(
  ctx: CommandContext,
  dir: string,
  evidence: Evidence,
  witnesses: { keys: string[]; threshold?: number } | undefined,
  options: { deep: boolean },
): Promise<ExitCode> {
  const { verifyFleet } = await import('@writ/audit');
  const progress = ctx.progress({ label: 'verifying fleet' });
  let result: VerifyFleetResult;
  try {
    result = await verifyFleet(dir, {
      ...(evidence.verifierKey === undefined ? {} : { fleetKey: evidence.verifierKey }),
      ...(evidence.checkpoint === undefined ? {} : { checkpoint: evidence.checkpoint }),
      ...(witnesses === undefined ? {} : { witnesses }),
      deep: options.deep,
    });
  } finally {
    progress.stop();
  }
  const json: VerifyFleetJson = {
    bundle: dir,
    ok: result.ok,
    state: result.state,
    firstBad: result.firstBad ?? null,
    problems: result.problems,
    fleet: verdictJson(result.fleet, `${dir}/fleet`),
    members: result.members,
    records: result.records,
    workers: result.workers,
    ms: Math.round(result.ms),
  };
  if (ctx.json) ctx.printJson(json);
  else printFleet(ctx, json);
  switch (result.state) {
    case 'anchored':
      return EXIT_CODES.ok;
    case 'unanchored':
      return EXIT_CODES.unanchored;
    case 'unpinned':
      return EXIT_CODES.unverified;
    default:
      return EXIT_CODES.failed;
  }
}

function printFleet(ctx: CommandContext, r: VerifyFleetJson): void {
  const c = ctx.out;
  const where = safeTerminalText(r.bundle);
  if (!r.ok) {
    const bad = r.firstBad;
    ctx.print(`${c.red(c.bold('✖ the fleet does not verify'))} ${where}`);
    if (bad)
      ctx.print(
        `  ${c.red(`first bad: ${safeTerminalText(bad.log)}${bad.index === null ? '' : ` record ${bad.index}`}: ${safeTerminalText(bad.reason)}`)}`,
      );
    for (const p of r.problems.slice(1))
      ctx.print(
        `  ${c.red(`✖ ${safeTerminalText(p.log)}${p.index === null ? '' : ` record ${p.index}`}: ${safeTerminalText(p.reason)}`)}`,
      );
  } else if (r.state === 'anchored')
    ctx.print(`${c.green(c.bold('✔ fleet verified and anchored'))} ${where}`);
  else if (r.state === 'unanchored')
    ctx.print(
      `${c.yellow(c.bold('⚠ fleet verified, the fleet log unanchored'))} ${where} (give --checkpoint or --witness for it)`,
    );
  else
    ctx.print(
      `${c.yellow(c.bold('⚠ fleet not verified against a pinned key'))} ${where} (give the fleet key: --key)`,
    );
  ctx.print(`  fleet log ${verdictHeadline(r.fleet, c, 'fleet')}`);
  const seconds = r.ms / 1000;
  const rate = seconds > 0 ? Math.round(r.records / seconds) : r.records;
  ctx.print(
    `  members ${r.members.length}, ${r.members.filter((m) => m.ok).length} verified; ${r.records} records in ${seconds.toFixed(2)} s (${rate} records/s, ${r.workers === 0 ? 'in-thread' : `${r.workers} worker threads`})`,
  );
}
