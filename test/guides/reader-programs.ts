// The programs a reader of the Quick start and of the AI SDK guide ends up with: the page's own code, as
// written, preceded by what the page leaves to the reader (a database, a payments client, the user's token,
// the model). test/guides/ runs them against the workspace; test/consumers/ against the packed packages
// installed outside it, on each supported Node line.
import { pageBlocks } from './run-docs.js';

/** What docs/quickstart.md assumes: a database. */
const QUICKSTART_RUNTIME = `const db = { orders: { get: async (id: string) => ({ id, status: 'shipped' }) } };\n`;

/**
 * What docs/guides/ai-sdk.md assumes: the user's token (from the local authority the zero-config runtime
 * uses), a database, a payments client, and the model: the AI SDK's own MockLanguageModelV4, scripted to
 * look order 42 up and refund 250 on it, then answer from what its tools said.
 */
const AI_SDK_RUNTIME = `
import { createLocalAuthority, createLocalIdentity } from '@writ/identity';
import { MockLanguageModelV4 } from 'ai/test';
import type { ModelMessage } from 'ai';

const userIdToken = await createLocalIdentity({
  authority: await createLocalAuthority({ dir: '.writ/keys' }),
}).issueRequesterToken({ sub: 'alice@example.com' });
const db = { orders: { get: async (id: string) => ({ id, status: 'delivered' }) } };
const payments = {
  refund: async (orderId: string, amount: number) => {
    console.log(\`REFUNDED \${orderId} \${amount}\`);
    return { refundId: 're_1' };
  },
};
const usage = {
  inputTokens: { total: 20, noCache: 20, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 10, text: 10, reasoning: undefined },
};
let turn = 0;
const model = new MockLanguageModelV4({
  doGenerate: async ({ prompt }) => {
    turn += 1;
    if (turn === 1) {
      return {
        content: [
          { type: 'tool-call' as const, toolCallId: 'call_1', toolName: 'lookup_order', input: '{"orderId":"42"}' },
          { type: 'tool-call' as const, toolCallId: 'call_2', toolName: 'refund_order', input: '{"orderId":"42","amount":250}' },
        ],
        finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
        usage,
        warnings: [],
      };
    }
    const told = prompt.flatMap((m) => (m.role === 'tool' ? m.content : []));
    const refunded = told.some((p) => p.type === 'tool-result' && p.toolCallId === 'call_2' && p.output.type === 'json');
    return {
      content: [{ type: 'text' as const, text: refunded ? 'MODEL: refunded 250 on order 42' : 'MODEL: no refund' }],
      finishReason: { unified: 'stop' as const, raw: 'stop' },
      usage,
      warnings: [],
    };
  },
});
const messages: ModelMessage[] = [{ role: 'user', content: 'Order 42 arrived damaged: please refund 250.' }];
`;

/** A page's program: its TypeScript (one ES module) and its shell lines (comments kept). */
export interface ReaderProgram {
  readonly page: string;
  readonly code: string;
  /** The page's `npm install …` lines. */
  readonly install: string[];
  /** The page's other shell lines, in order. */
  readonly shell: string[];
}

function shellLines(blocks: readonly string[]): { install: string[]; shell: string[] } {
  const lines = blocks
    .flatMap((block) => block.split('\n'))
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  return {
    install: lines.filter((l) => l.trim().startsWith('npm install')),
    shell: lines.filter((l) => !l.trim().startsWith('npm install')),
  };
}

/** docs/quickstart.md: its one ts block, then its sh lines. */
export function quickstartProgram(): ReaderProgram {
  const page = 'docs/quickstart.md';
  const blocks = pageBlocks(page);
  if (blocks.ts.length !== 1) throw new Error(`${page} has ${blocks.ts.length} ts blocks, expected 1`);
  return { page, code: QUICKSTART_RUNTIME + (blocks.ts[0] as string), ...shellLines(blocks.sh) };
}

/** docs/guides/ai-sdk.md: "Wrap the tools" and its approval continuation (marked `check: continue`). */
export function aiSdkGuideProgram(): ReaderProgram {
  const page = 'docs/guides/ai-sdk.md';
  const blocks = pageBlocks(page);
  const wrap = blocks.ts.find((b) => b.includes('writTools(') && b.includes('const settings'));
  const resume = blocks.ts.find((b) => b.includes("type: 'tool-approval-response'"));
  if (wrap === undefined || resume === undefined) {
    throw new Error(`${page}: the "Wrap the tools" block or its approval continuation is gone`);
  }
  return { page, code: `${AI_SDK_RUNTIME}\n${wrap}\n${resume}\n`, ...shellLines(blocks.sh) };
}
