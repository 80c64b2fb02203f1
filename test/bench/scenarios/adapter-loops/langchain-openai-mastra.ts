// The LangChain, OpenAI Agents and Mastra loops for the adapters scenario (see loop.ts).
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import { tool as langchainTool } from '@langchain/core/tools';
import { Agent as MastraAgent } from '@mastra/core/agent';
import { createTool } from '@mastra/core/tools';
import {
  type Model,
  Agent as OpenAiAgent,
  run,
  setTraceProcessors,
  setTracingDisabled,
  tool,
} from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { writMiddleware } from '@writ/langchain';
import { writTools as writMastraTools } from '@writ/mastra';
import { withWrit } from '@writ/openai-agents';
import { type AgentMiddleware, createAgent, createMiddleware } from 'langchain';
import { z } from 'zod';
import { type ModelStep, scriptedModel } from '../../../../examples/mastra/src/scripted-model.ts';
import { ARGS, type LookupArgs, lookupOrder } from '../../fixtures.ts';
import { type AdapterLoop, callIds, HINTS, PROMPT } from './loop.ts';

const input = z.object({ orderId: z.string() });
const DESCRIPTION = 'Look up an order by id';

/**
 * LangChain's fake chat model, looping: LangChain's `fakeModel()` plays a fixed queue and keeps every
 * call, so a loop run thousands of times gets this `BaseChatModel` instead, answering the way its
 * scripts do: a `lookup_order` tool call unless the last message is the tool's result, then a text.
 */
class LoopingChatModel extends BaseChatModel {
  readonly #next = callIds();
  _llmType(): string {
    return 'bench-looping';
  }
  override bindTools(): this {
    return this;
  }
  async _generate(messages: BaseMessage[]) {
    const message =
      messages.at(-1)?.type === 'tool'
        ? new AIMessage('shipped')
        : new AIMessage({
            content: '',
            tool_calls: [{ name: 'lookup_order', args: { ...ARGS }, id: this.#next(), type: 'tool_call' }],
          });
    return { generations: [{ text: '', message }] };
  }
}

/** `createAgent` (a LangGraph graph) with the looping fake model, `writMiddleware` for the adapter. */
export function langchainLoop(): AdapterLoop {
  const agentWith = (body: (args: LookupArgs) => Promise<unknown>, middleware: AgentMiddleware[] = []) => {
    const lookup = langchainTool((args: LookupArgs) => body(args), {
      name: 'lookup_order',
      description: DESCRIPTION,
      schema: input,
    });
    const agent = createAgent({
      model: new LoopingChatModel({}),
      tools: [lookup],
      middleware,
    });
    return () => agent.invoke({ messages: [{ role: 'user', content: PROMPT }] });
  };
  return {
    id: 'langchain',
    loop: 'LangChain createAgent (LangGraph), looping fake chat model',
    adapter: '@writ/langchain writMiddleware',
    none: () => agentWith(lookupOrder),
    adapted: (writ) => agentWith(lookupOrder, [writMiddleware({ writ, tools: HINTS })]),
    direct: (call) => agentWith(call),
    // the same hooks writMiddleware has, passing through
    hooked: () =>
      agentWith(lookupOrder, [
        createMiddleware({
          name: 'BenchNoop',
          wrapModelCall: (request, handler) => handler(request),
          wrapToolCall: (request, handler) => handler(request),
        }),
      ]),
  };
}

/** `run()` of an OpenAI Agents `Agent` with the SDK's `ScriptedModel` (a fresh one per run), `withWrit`. */
export function openAiAgentsLoop(): AdapterLoop {
  setTraceProcessors([]);
  setTracingDisabled(true);
  const next = callIds();
  const agentWith = (body: (args: LookupArgs) => Promise<unknown>, writ?: Parameters<typeof withWrit>[1]) => {
    const lookup = tool({
      name: 'lookup_order',
      description: DESCRIPTION,
      parameters: input,
      execute: (args) => body(args),
    });
    // the SDK's ScriptedModel keeps every request it answered: a fresh one per run, behind one Model
    let scripted = new ScriptedModel();
    const model: Model = {
      getResponse: (request) => scripted.getResponse(request),
      getStreamedResponse: (request) => scripted.getStreamedResponse(request),
    };
    const plain = new OpenAiAgent({ name: 'support', instructions: 'Help.', model, tools: [lookup] });
    const agent = writ === undefined ? plain : withWrit(plain, writ);
    return () => {
      scripted = new ScriptedModel([
        [functionCall('lookup_order', { ...ARGS }, { callId: next() })],
        [assistantMessage('shipped')],
      ]);
      return run(agent, PROMPT);
    };
  };
  return {
    id: 'openai-agents',
    loop: 'OpenAI Agents run(), ScriptedModel',
    adapter: '@writ/openai-agents withWrit',
    none: () => agentWith(lookupOrder),
    adapted: (writ) => agentWith(lookupOrder, { writ, tools: HINTS }),
    direct: (call) => agentWith(call),
  };
}

/** Mastra `Agent.stream` (read to its end) with Mastra's scripted mock model from examples/mastra, `writTools`. */
export function mastraLoop(): AdapterLoop {
  const next = callIds();
  const agentWith = (
    body: (args: LookupArgs) => Promise<unknown>,
    writ?: Parameters<typeof writMastraTools>[1],
  ) => {
    const lookup = createTool({
      id: 'lookup-order',
      description: DESCRIPTION,
      inputSchema: input,
      execute: (args) => body(args),
    });
    const tools = { lookup_order: lookup };
    // the example's model plays the steps of this array, one per model call: two are added per run
    const script: ModelStep[] = [];
    const agent = new MastraAgent({
      id: 'support',
      name: 'Support',
      instructions: 'Help.',
      model: scriptedModel(script),
      tools: writ === undefined ? tools : writMastraTools(tools, writ),
    });
    return () => {
      script.push({ tools: [{ id: next(), name: 'lookup_order', args: { ...ARGS } }] }, { text: 'shipped' });
      return agent.stream(PROMPT, { maxSteps: 2 }).then((stream) => stream.consumeStream());
    };
  };
  return {
    id: 'mastra',
    loop: 'Mastra Agent.stream, scripted MastraLanguageModelV2Mock (examples/mastra)',
    adapter: '@writ/mastra writTools',
    none: () => agentWith(lookupOrder),
    adapted: (writ) => agentWith(lookupOrder, { writ, tools: HINTS }),
    direct: (call) => agentWith(call),
  };
}
