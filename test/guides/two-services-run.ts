// The two-service scenario (examples/two-services) as the acceptance tests run it: a real OpenID
// Provider on 127.0.0.1 signs alice and maria in, the desk runs in this process and the orders MCP server
// in a child process, then each log's checkpoint is copied outside it (the anchors an investigator keeps).
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readVerifiedLog } from '@writ/audit';
import { runTwoServices, type TwoServicesRun } from '../../examples/two-services/src/support-desk.ts';
import { type CliResult, runCli, tempDir } from '../../packages/cli/src/__support__/cli.js';
import {
  CLIENTS,
  loginWithAuthorizationCode,
  startOp,
  type TestOp,
} from '../../packages/identity/src/oidc/__support__/op.js';

/** One service's evidence: its log, its verifier key, a copy of its checkpoint kept outside the log. */
export interface Side {
  readonly log: string;
  readonly key: string;
  readonly anchor: string;
}

export interface TwoServicesScenario {
  readonly dir: string;
  readonly op: TestOp;
  readonly run: TwoServicesRun;
  readonly desk: Side;
  readonly orders: Side;
  /** `writ explain <desk> <orders> --task <alice's task>` with both keys and anchors (plus `extra`). */
  explainTask(extra?: readonly string[]): Promise<CliResult>;
  cleanup(): Promise<void>;
}

/** `--key <log>=<key> --checkpoint <log>=<anchor>` for each side. */
export const evidence = (...sides: Side[]): string[] =>
  sides.flatMap((s) => ['--key', `${s.log}=${s.key}`, '--checkpoint', `${s.log}=${s.anchor}`]);

/** Runs the example and keeps its evidence; prints what happened and how long it took. */
export async function startTwoServices(prefix: string): Promise<TwoServicesScenario> {
  const dir = await tempDir(prefix);
  const op = await startOp();
  try {
    const alice = await loginWithAuthorizationCode(op, { client: CLIENTS.webapp, accountId: 'alice' });
    const started = performance.now();
    const run = await runTwoServices({
      dir,
      idp: { issuer: op.issuer, audience: CLIENTS.webapp.id },
      aliceIdToken: alice.idToken,
      approverToken: async (nonce) =>
        (await loginWithAuthorizationCode(op, { client: CLIENTS.webapp, accountId: 'maria', nonce })).idToken,
    });
    console.log(`two services ran in ${Math.round(performance.now() - started)} ms\n${run.lines.join('\n')}`);
    await mkdir(join(dir, 'anchors'));
    const anchor = async (log: string, name: string) => {
      const kept = join(dir, 'anchors', name);
      await cp(join(log, 'checkpoint'), kept);
      return kept;
    };
    const desk = { log: run.desk.log, key: run.desk.verifierKey, anchor: await anchor(run.desk.log, 'desk') };
    const orders = {
      log: run.orders.log,
      key: run.orders.verifierKey,
      anchor: await anchor(run.orders.log, 'orders'),
    };
    return {
      dir,
      op,
      run,
      desk,
      orders,
      explainTask: (extra = []) =>
        runCli(['explain', desk.log, orders.log, '--task', run.taskId, ...evidence(desk, orders), ...extra]),
      async cleanup() {
        await op.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await op.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The record at `index` of a log, read back verified with its pinned key. */
export async function recordAt(side: Side, index: number) {
  const { records } = await readVerifiedLog(side.log, { verifierKey: side.key });
  // biome-ignore lint/suspicious/noExplicitAny: records are read back from JSON and checked field by field
  return records.find((r) => r.index === index)?.record as any;
}
