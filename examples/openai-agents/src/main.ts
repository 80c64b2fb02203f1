// `npm run start -w @writ/example-openai-agents`: the OpenAI Agents SDK with Writ, offline.
import { join } from 'node:path';
import { explainLog, formatExplain, verifyLog } from '@writ/audit';
import { describeRun, runSupportDesk } from './support-desk.ts';

const result = await runSupportDesk({ dir: join(process.cwd(), '.writ', 'openai-agents') });
console.log(`the run stopped for approval of ${result.interrupted.tool} ${result.interrupted.args}`);
console.log(
  `(state stored as a ${result.storedStateChars}-character string, resumed after Maria approved)\n`,
);
console.log(`the model read, for delete_customer:\n  ${result.modelReadAfterDeny}\n`);
console.log(`tools that ran: ${result.executed.join(', ')}`);
console.log(`assistant: ${result.finalOutput}\n`);
for (const line of await describeRun(result)) console.log(line);
const verdict = await verifyLog(result.auditDir, { verifierKey: result.verifierKey });
console.log(`\nverify: ${verdict.ok ? 'OK' : `FAILED at ${verdict.firstBadIndex}: ${verdict.reason}`}\n`);
console.log(formatExplain(await explainLog(result.auditDir, { correlationId: result.correlationId })));
