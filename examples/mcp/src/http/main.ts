// Writ over MCP as deployed (docs/guides/mcp.md): the support desk in this process, the orders MCP
// server in another, Streamable HTTP on 127.0.0.1. `npm run start:http -w @writ/example-mcp`
import { join } from 'node:path';
import { runSupportDesk } from './support-desk.ts';

const { lines } = await runSupportDesk({ dir: join(process.cwd(), '.writ', 'mcp-http-example') });
console.log(lines.join('\n'));
