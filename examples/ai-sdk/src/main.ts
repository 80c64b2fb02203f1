// The Vercel AI SDK example from docs/guides/ai-sdk.md, runnable offline (the AI SDK's mock model):
// `npm run start -w @writ/example-ai-sdk`. Pass `--decline` to have Maria decline the refund.
import { join } from 'node:path';
import { explainLog, formatExplain, verifyLog } from '@writ/audit';
import { runSupportAgent } from './support-agent.ts';

const { transcript, taskId, auditDir, verifierKey } = await runSupportAgent({
  dir: join(process.cwd(), '.writ', 'ai-sdk'),
  approve: !process.argv.includes('--decline'),
});
console.log(transcript.join('\n'));
const verdict = await verifyLog(auditDir, { verifierKey });
console.log(`\nverify: ${verdict.ok ? 'OK' : `FAILED at ${verdict.firstBadIndex}: ${verdict.reason}`}\n`);
console.log(formatExplain(await explainLog(auditDir, { taskId })));
