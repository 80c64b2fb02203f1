// `npm run start -w @writ/example-claude-agent-sdk`: the Claude Agent SDK with Writ, offline.
import { join } from 'node:path';
import { explainLog, formatExplain, verifyLog } from '@writ/audit';
import { runCodingAgent, scriptedCalls } from './coding-agent.ts';

const result = await runCodingAgent({ dir: join(process.cwd(), '.writ', 'claude-agent-sdk') });
for (const call of scriptedCalls(result.workspace)) {
  const what = 'command' in call.input ? call.input.command : call.input.file_path;
  console.log(`${call.name} ${what}\n  the model read: ${result.modelRead[call.id]?.split('\n')[0]}`);
}
console.log(`\nasked at the permission prompt: ${result.asked.join('; ')}`);
console.log(`assistant: ${result.finalOutput}`);
const verdict = await verifyLog(result.auditDir, { verifierKey: result.verifierKey });
console.log(`\nverify: ${verdict.ok ? 'OK' : `FAILED at ${verdict.firstBadIndex}: ${verdict.reason}`}\n`);
console.log(formatExplain(await explainLog(result.auditDir, { correlationId: result.correlationId })));
