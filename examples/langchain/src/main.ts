// The LangChain guide (docs/guides/langchain.md), runnable offline: `npm run start -w @writ/example-langchain`
import { join } from 'node:path';
import { runRefundDesk } from './refund-desk.ts';

await runRefundDesk({ dir: join(process.cwd(), '.writ', 'langchain') });
