// The quick start from docs/quickstart.md, runnable: one tool, one task, on the zero-config runtime;
// then the evidence is verified offline. `npm run start -w @writ/example-quickstart`
import { join } from 'node:path';
import { explainLog, formatExplain, verifyLog } from '@writ/audit';
import { lookupOrderFor } from './quickstart.ts';

const { taskId, auditDir, verifierKey, order } = await lookupOrderFor({
  dir: join(process.cwd(), '.writ', 'quickstart'),
});
console.log('lookup_order returned', order);
const verdict = await verifyLog(auditDir, { verifierKey });
console.log(`verify: ${verdict.ok ? 'OK' : `FAILED at ${verdict.firstBadIndex}: ${verdict.reason}`}\n`);
console.log(formatExplain(await explainLog(auditDir, { taskId })));
