import { copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { explainLog, verifyLog } from '@writ/audit';
import pc from 'picocolors';
import { renderExplainTree } from '../explain-tree.js';
import type { Colors } from '../io.js';
import { renderReport } from '../report/render-report.js';
import { buildReportModel } from '../report/report-model.js';
import { safeTerminalText } from '../terminal-text.js';
import { runScenario, type Step } from './scenario.js';

/** Options of {@link runDemo}. */
export interface RunDemoOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  json: boolean;
  /** Where the demo keeps its keys and log: `<dir>/demo` (recreated on every run). */
  dir: string;
  /** Colour functions for stdout. @default no colour */
  colors?: Colors;
}

const LABEL: Record<Step['effect'], string> = {
  allow: '✔ allow   ',
  approval_required: '⏸ approved',
  deny: '✖ deny    ',
  refused: '✖ refused ',
};

/**
 * `writ demo`: alice asks support-bot to refund order 42 on the zero-config runtime (local authority,
 * shipped Cedar policies, file log). Prints each call's decision, keeps a copy of the checkpoint the log
 * published (the anchor a verifier would keep elsewhere), verifies the log with its key and that anchor,
 * prints the authority chain, and writes an HTML report. Returns the exit code (0 when everything went as
 * the story says and the log verifies and is anchored).
 *
 * @example
 * ```ts
 * process.exitCode = await runDemo({ stdout: process.stdout, stderr: process.stderr, json: false, dir: '.writ' });
 * ```
 */
export async function runDemo(options: RunDemoOptions): Promise<number> {
  const c = options.colors ?? pc.createColors(false);
  const dir = join(options.dir, 'demo');
  await rm(dir, { recursive: true, force: true });
  const result = await runScenario({ dir });
  // in a deployment the anchor is a copy kept off the log's host; the demo keeps it next to the log
  const anchor = join(dir, 'anchor.checkpoint');
  await copyFile(join(result.auditDir, 'checkpoint'), anchor);
  const evidence = { verifierKey: result.verifierKey, checkpoint: await readFile(anchor, 'utf8') };
  const verdict = await verifyLog(result.auditDir, evidence);
  const tasks = await explainLog(result.auditDir, { taskId: result.taskId }, evidence);
  const report = join(dir, 'report.html');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(report, renderReport(await buildReportModel(result.auditDir, evidence)));
  const ok = verdict.state === 'anchored';
  if (options.json) {
    options.stdout.write(
      `${JSON.stringify({ steps: result.steps, taskId: result.taskId, correlationId: result.correlationId, modelSawRefusal: result.modelSawRefusal, verify: verdict, report, auditDir: result.auditDir, verifierKey: result.verifierKey, anchor })}\n`,
    );
    return ok ? 0 : 1;
  }
  const out = (line = '') => options.stdout.write(`${line}\n`);
  out(c.bold('Writ demo: alice asks support-bot to refund order 42'));
  out(c.dim('zero config: local authority in .writ/demo/keys, shipped Cedar policies, tamper-evident log'));
  out(c.dim('agents: Vercel AI SDK generateText loops (scripted model) instrumented by @writ/ai-sdk'));
  out();
  for (const step of result.steps) {
    const colour = step.effect === 'allow' ? c.green : step.effect === 'approval_required' ? c.yellow : c.red;
    out(`  ${colour(LABEL[step.effect])}  ${step.agent.padEnd(12)} ${step.action}`);
    out(c.dim(`               ${step.detail}`));
    if (step.effect === 'deny' && result.modelSawRefusal !== undefined) {
      out(c.dim(`               the model was told: ${modelText(result.modelSawRefusal)}`));
    }
  }
  out();
  out(
    ok
      ? c.green(
          `verify: OK, verified and anchored (${verdict.records} records, ${verdict.checkpoints} checkpoint(s), key pinned)`,
        )
      : c.red(
          `verify: FAILED (${verdict.state}) at record ${verdict.firstBadIndex}: ${safeTerminalText(verdict.reason ?? '')}`,
        ),
  );
  out();
  for (const line of renderExplainTree(tasks, c)) out(line);
  out();
  out(`HTML report: ${report}`);
  out(
    c.dim(
      `check it yourself: writ verify ${result.auditDir} --key '${result.verifierKey}' --checkpoint ${anchor}`,
    ),
  );
  return ok ? 0 : 1;
}

/** The refusal reason out of the tool output the model received (`{"type":"execution-denied","reason":…}`). */
function modelText(output: string): string {
  try {
    const parsed = JSON.parse(output) as { reason?: unknown };
    return typeof parsed.reason === 'string' ? JSON.stringify(parsed.reason) : output;
  } catch {
    return output;
  }
}
