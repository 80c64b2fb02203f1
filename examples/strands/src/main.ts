// Writ with a Strands agent, offline (a scripted model): `npm run start -w @writ/example-strands`
import { join } from 'node:path';
import { explainLog, formatExplain, verifyLog } from '@writ/audit';
import { runSupportDesk } from './support-desk.ts';

const run = await runSupportDesk({
  dir: join(process.cwd(), '.writ', 'strands'),
  print: (line) => console.log(line),
});
const verdict = await verifyLog(run.auditDir, { verifierKey: run.verifierKey, deep: true });
console.log(`\nverify: ${verdict.ok ? 'OK' : `FAILED at ${verdict.firstBadIndex}: ${verdict.reason}`}\n`);
console.log(formatExplain(await explainLog(run.auditDir, { taskId: run.taskId })));
