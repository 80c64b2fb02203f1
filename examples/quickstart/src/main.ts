// `npm run start -w @writ/example-quickstart`: the quick-start scenario on the zero-config runtime, then the
// evidence: verified offline and explained. (`npm run demo` runs the same story through `writ demo`.)
import { join } from 'node:path';
import { explainLog, formatExplain, verifyLog } from '@writ/audit';
import { runScenario } from './scenario.ts';

const ICON = {
  allow: '✔ allow   ',
  approval_required: '⏸ approved',
  deny: '✖ deny    ',
  refused: '✖ refused ',
} as const;
const dir = join(process.cwd(), '.writ', 'quickstart');
const result = await runScenario({ dir });
console.log('alice asks support-bot to refund order 42\n');
for (const step of result.steps)
  console.log(
    `  ${ICON[step.effect]}  ${step.agent.padEnd(12)} ${step.action}\n               ${step.detail}`,
  );
const verdict = await verifyLog(result.auditDir, { verifierKey: result.verifierKey });
console.log(
  `\nverify: ${verdict.ok ? 'OK' : `FAILED at ${verdict.firstBadIndex}: ${verdict.reason}`} (${verdict.records} records, ${verdict.checkpoints} checkpoints)\n`,
);
console.log(formatExplain(await explainLog(result.auditDir, { taskId: result.taskId })));
