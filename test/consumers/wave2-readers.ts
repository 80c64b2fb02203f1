// The wave-2 guides' quick starts as a reader outside this repository ends up with them: the page's first
// ts block and the blocks that continue it (`check: continue`), as written, preceded by what the page leaves
// to the reader (a database, a payments client, the user's token) and by the model. Models cannot run
// here, so each stands in for the one the page names, through its framework's own seam: ADK's LLMRegistry
// (the page's `gemini-2.5-flash`), Genkit's Google AI plugin's HTTP calls (fetch), the Agents SDK's
// default model provider, Strands' default model (BedrockModel) stream. Each script looks order 42 up,
// asks for a refund of 250, then answers in words. Run by wave2-guides.test.ts.
import { join } from 'node:path';
import { extractBlocks } from '../docs/code-blocks.ts';
import { ROOT } from './scratch-project.js';

/** What the guides leave to the reader (`more` for the database's other tables), and what the test looks for. */
const reader = (more = '') => `
import { createLocalAuthority, createLocalIdentity } from '@writ/identity';

const userIdToken = await createLocalIdentity({
  authority: await createLocalAuthority({ dir: '.writ/keys' }),
}).issueRequesterToken({ sub: 'alice@example.com' });
const db = {
  orders: {
    get: async (id: string) => {
      console.log(\`LOOKED UP \${id}\`);
      return { id, status: 'delivered' };
    },
  },${more}
};
const payments = {
  refund: async (orderId: string, amount: number) => {
    console.log(\`REFUNDED \${orderId} \${amount}\`);
    return { refundId: 're_1' };
  },
};
`;

const ADK_MODEL = `
import { BaseLlm, Gemini, LLMRegistry } from '@google/adk';

type LlmRequest = Parameters<BaseLlm['generateContentAsync']>[0];
type LlmResponse = NonNullable<
  Awaited<ReturnType<ReturnType<BaseLlm['generateContentAsync']>['next']>>['value']
>;
const script: LlmResponse[] = [
  { content: { role: 'model', parts: [{ functionCall: { id: 'call_1', name: 'lookup_order', args: { orderId: '42' } } }] } },
  { content: { role: 'model', parts: [{ functionCall: { id: 'call_2', name: 'refund_order', args: { orderId: '42', amount: 250 } } }] } },
  { content: { role: 'model', parts: [{ text: 'MODEL: refunded 250 on order 42' }] }, turnComplete: true },
];
/** Answers for Gemini's model names from the script. */
class ScriptedGemini extends BaseLlm {
  static override readonly supportedModels = Gemini.supportedModels;
  async *generateContentAsync(_request: LlmRequest): AsyncGenerator<LlmResponse, void> {
    const next = script.shift();
    if (next === undefined) throw new Error('the scripted model ran out of answers');
    yield next;
  }
  async connect(): Promise<never> {
    throw new Error('live connections are not scripted');
  }
}
LLMRegistry.register(ScriptedGemini);
`;

// the page's second block asks again in a new request (a new task) and answers that pause
const OPENAI_AGENTS_PENDING = `
  pending: (() => {
    const saved = new Map<string, { state: string; taskId: string }>();
    return {
      save: async (ticketId: string, paused: { state: string; taskId: string }) => void saved.set(ticketId, paused),
      load: async (ticketId: string) => saved.get(ticketId) as { state: string; taskId: string },
    };
  })(),`;
const OPENAI_AGENTS_MODEL = `
import { setDefaultModelProvider } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import type { Principal } from 'writ';

const ticketId = 'ticket_1';
const approved = true;
const maria: Principal = { kind: 'human', id: 'maria@example.com', name: 'Maria', assurance: 'asserted' };
const scripted = new ScriptedModel([
  [functionCall('lookup_order', { orderId: '42' }, { callId: 'call_1' })],
  [functionCall('refund_order', { orderId: '42', amount: 250 }, { callId: 'call_2' })],
  [functionCall('refund_order', { orderId: '42', amount: 250 }, { callId: 'call_3' })],
  [assistantMessage('MODEL: refunded 250 on order 42')],
]);
setDefaultModelProvider({ getModel: async () => scripted });
`;

const STRANDS_MODEL = `
import { BedrockModel, type ModelStreamEvent } from '@strands-agents/sdk';

const turns: ({ tool: string; id: string; input: Record<string, unknown> } | { text: string })[] = [
  { tool: 'lookup_order', id: 'call_1', input: { orderId: '42' } },
  { tool: 'refund_order', id: 'call_2', input: { orderId: '42', amount: 250 } },
  { text: 'MODEL: refunded 250 on order 42' },
];
BedrockModel.prototype.stream = async function* (): AsyncGenerator<ModelStreamEvent> {
  const turn = turns.shift();
  if (turn === undefined) throw new Error('the scripted model ran out of answers');
  yield { type: 'modelMessageStartEvent', role: 'assistant' };
  if ('text' in turn) {
    yield { type: 'modelContentBlockStartEvent' };
    yield { type: 'modelContentBlockDeltaEvent', delta: { type: 'textDelta', text: turn.text } };
    yield { type: 'modelContentBlockStopEvent' };
    yield { type: 'modelMessageStopEvent', stopReason: 'endTurn' };
    return;
  }
  yield { type: 'modelContentBlockStartEvent', start: { type: 'toolUseStart', name: turn.tool, toolUseId: turn.id } };
  yield { type: 'modelContentBlockDeltaEvent', delta: { type: 'toolUseInputDelta', input: JSON.stringify(turn.input) } };
  yield { type: 'modelContentBlockStopEvent' };
  yield { type: 'modelMessageStopEvent', stopReason: 'toolUse' };
};
`;

// Genkit finds the page's model through the Google AI plugin, which calls Gemini's REST API with fetch:
// the API stands in here (generateContent of gemini-2.5-flash, answered from the script; anything else
// refused), and the page's API key is the run's GEMINI_API_KEY
const GENKIT_MODEL = `
const geminiParts: Record<string, unknown>[] = [
  { functionCall: { id: 'call_1', name: 'lookup_order', args: { orderId: '42' } } },
  { functionCall: { id: 'call_2', name: 'refund_order', args: { orderId: '42', amount: 250 } } },
  { text: 'MODEL: refunded 250 on order 42' },
];
globalThis.fetch = (async (input: string | URL | Request) => {
  const url = input instanceof Request ? input.url : String(input);
  const gemini = 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent';
  if (!url.startsWith(gemini)) throw new Error(\`no network here: \${url}\`);
  const part = geminiParts.shift();
  if (part === undefined) throw new Error('the scripted model ran out of answers');
  return Response.json({ candidates: [{ index: 0, content: { role: 'model', parts: [part] }, finishReason: 'STOP' }] });
}) as typeof fetch;
`;

/** A guide's quick start: its program (reader's code, model, the page's blocks) and its install line. */
export interface Wave2Guide {
  readonly page: string;
  /**
   * The scratch project it installs into, with the other guides of the same project in one install.
   * Strands has its own: its optional peers (openai 6…) clash with the Agents SDK's openai 7, and npm
   * refuses the two in one project (ERESOLVE), as it would for a user.
   */
  readonly project: 'frameworks' | 'strands';
  /** Its runnable example, examples/<example>. */
  readonly example: string;
  /**
   * How many `approval-requested` records the quick start's pauses leave, where the adapter records them
   * (the Agents SDK's quick start asks twice: its second block asks again, in a new request, and answers).
   */
  readonly pausesRecorded?: number;
  /** The reader's environment for the run (API keys the page's model plugin reads). */
  readonly env?: Record<string, string>;
  /** What the example prints before `verify:`: the support desk's conversation, or not checked. */
  readonly conversation?: 'support-desk';
  program(): { code: string; install: string };
}

function quickStart(page: string, model: string, more = ''): { code: string; install: string } {
  const blocks = extractBlocks(join(ROOT, page));
  const ts = blocks.filter((b) => b.lang === 'ts');
  const first = ts.findIndex((b) => !b.continues);
  const end = ts.findIndex((b, i) => i > first && !b.continues);
  const quick = ts.slice(first, end === -1 ? undefined : end);
  const install = blocks
    .filter((b) => b.lang === 'sh')
    .flatMap((b) => b.code.split('\n'))
    .find((l) => l.trim().startsWith('npm install'));
  if (quick.length === 0 || install === undefined) throw new Error(`${page}: no quick start or install line`);
  return {
    code: `${reader(more)}${model}\n${quick.map((b) => b.code).join('\n')}\n`,
    install: install.trim(),
  };
}

export const WAVE2_GUIDES: readonly Wave2Guide[] = [
  {
    page: 'docs/guides/google-adk.md',
    project: 'frameworks',
    example: 'google-adk',
    conversation: 'support-desk',
    program: () => quickStart('docs/guides/google-adk.md', ADK_MODEL),
  },
  {
    page: 'docs/guides/strands.md',
    project: 'strands',
    example: 'strands',
    conversation: 'support-desk',
    program: () => quickStart('docs/guides/strands.md', STRANDS_MODEL),
  },
  {
    page: 'docs/guides/genkit.md',
    project: 'frameworks',
    example: 'genkit',
    conversation: 'support-desk',
    env: { GEMINI_API_KEY: 'stand-in' },
    program: () => quickStart('docs/guides/genkit.md', GENKIT_MODEL),
  },
  {
    page: 'docs/guides/openai-agents.md',
    project: 'frameworks',
    example: 'openai-agents',
    pausesRecorded: 2,
    program: () => quickStart('docs/guides/openai-agents.md', OPENAI_AGENTS_MODEL, OPENAI_AGENTS_PENDING),
  },
];
