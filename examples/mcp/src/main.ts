// Writ over MCP (docs/guides/mcp.md), runnable offline: an instrumented MCP server and client in one
// process over the SDK's in-memory transport. `npm run start -w @writ/example-mcp`
import { join } from 'node:path';
import { runMcpExample } from './mcp-example.ts';

const { lines } = await runMcpExample({ dir: join(process.cwd(), '.writ', 'mcp-example') });
console.log(lines.join('\n'));
