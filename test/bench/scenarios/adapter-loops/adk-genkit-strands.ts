// The Google ADK, Genkit and Strands loops for the adapters scenario (see loop.ts).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { BasePlugin, FunctionTool, InMemoryRunner, LlmAgent, LogLevel, setLogLevel } from '@google/adk';
import { writMiddleware as writGenkitMiddleware } from '@writ/genkit';
import { writPlugin as writAdkPlugin } from '@writ/google-adk';
import { type GenerateResponse, generateMiddleware, genkit, z as genkitZ, type MiddlewareRef } from 'genkit';
import { z } from 'zod';
import { ScriptedModel as AdkScriptedModel } from '../../../../examples/google-adk/src/scripted-model.ts';
import type * as StrandsSdk from '../../../../packages/strands/node_modules/@strands-agents/sdk/dist/src/index.node.js';
import { ARGS, type LookupArgs, lookupOrder } from '../../fixtures.ts';
import { type AdapterLoop, callIds, HINTS, PROMPT } from './loop.ts';

const input = z.object({ orderId: z.string() });
const DESCRIPTION = 'Look up an order by id';

/**
 * ADK's `InMemoryRunner` around an `LlmAgent` with the scripted model of examples/google-adk (a fresh
 * one per run: it plays a copy of its script) and a fresh session per run (a session keeps every event).
 */
export function googleAdkLoop(): AdapterLoop {
  setLogLevel(LogLevel.ERROR);
  const next = callIds();
  const runnerWith = (body: (args: LookupArgs) => Promise<unknown>, plugins: BasePlugin[] = []) => {
    const lookup = new FunctionTool({
      name: 'lookup_order',
      description: DESCRIPTION,
      parameters: input,
      execute: (args: LookupArgs) => body(args),
    });
    const agent = new LlmAgent({ name: 'support', instruction: 'Help.', tools: [lookup] });
    const runner = new InMemoryRunner({
      agent,
      appName: 'bench',
      plugins,
    });
    return async () => {
      agent.model = new AdkScriptedModel([
        { tools: [{ id: next(), name: 'lookup_order', args: { ...ARGS } }] },
        { text: 'shipped' },
      ]);
      const session = await runner.sessionService.createSession({ appName: 'bench', userId: 'alice' });
      const newMessage = { role: 'user', parts: [{ text: PROMPT }] };
      for await (const _ of runner.runAsync({ userId: 'alice', sessionId: session.id, newMessage })) {
        // read to the end
      }
      await runner.sessionService.deleteSession({ appName: 'bench', userId: 'alice', sessionId: session.id });
    };
  };
  return {
    id: 'google-adk',
    loop: 'Google ADK InMemoryRunner + LlmAgent, scripted BaseLlm (examples/google-adk)',
    adapter: '@writ/google-adk writPlugin',
    none: () => runnerWith(lookupOrder),
    adapted: (writ) => runnerWith(lookupOrder, [writAdkPlugin({ writ, tools: HINTS })]),
    direct: (call) => runnerWith(call),
    // a plugin with the callbacks writPlugin has, doing nothing
    hooked: () => runnerWith(lookupOrder, [new NoopAdkPlugin()]),
  };
}

/** An ADK plugin with the callbacks `writPlugin` implements, each doing nothing. */
class NoopAdkPlugin extends BasePlugin {
  constructor() {
    super('bench-noop');
  }
  override async beforeRunCallback(): Promise<undefined> {
    return undefined;
  }
  override async beforeToolCallback(): Promise<undefined> {
    return undefined;
  }
}

/**
 * Genkit's `generate` loop with a model defined on the instance that answers the way the scripted model
 * of examples/genkit does (a tool request, then a text once the tool's response is in the messages);
 * that one plays a fixed script and registers a new model per script, which a loop run thousands of
 * times cannot do. `writMiddleware` for the adapter.
 */
export function genkitLoop(): AdapterLoop {
  const next = callIds();
  let noops = 0;
  // one Genkit instance per case: each registers its own `lookup_order`
  const generateWith = (body: (args: LookupArgs) => Promise<unknown>, use: MiddlewareRef[] = []) => {
    const ai = genkit({});
    const model = ai.defineModel({ name: 'bench-looping' }, async (request) => {
      const content =
        request.messages.at(-1)?.role === 'tool'
          ? [{ text: 'shipped' }]
          : [{ toolRequest: { ref: next(), name: 'lookup_order', input: { ...ARGS } } }];
      return { message: { role: 'model' as const, content }, finishReason: 'stop' as const };
    });
    const lookup = ai.defineTool(
      // Genkit's own zod (v3) for its schemas
      {
        name: 'lookup_order',
        description: DESCRIPTION,
        inputSchema: genkitZ.object({ orderId: genkitZ.string() }),
      },
      (args: LookupArgs) => body(args),
    );
    return (): Promise<GenerateResponse> => ai.generate({ model, tools: [lookup], use, prompt: PROMPT });
  };
  return {
    id: 'genkit',
    loop: 'Genkit ai.generate, scripted model defined on the instance',
    adapter: '@writ/genkit writMiddleware',
    none: () => generateWith(lookupOrder),
    adapted: (writ) => generateWith(lookupOrder, [writGenkitMiddleware({ writ, tools: HINTS })]),
    direct: (call) => generateWith(call),
    // a middleware with the hooks writMiddleware has, passing through
    hooked: () =>
      generateWith(lookupOrder, [
        generateMiddleware({ name: `bench-noop-${++noops}` }, () => ({
          generate: (envelope, ctx, next) => next(envelope, ctx),
          model: (request, ctx, next) => next(request, ctx),
          tool: (request, ctx, next) => next(request, ctx),
        }))(),
      ]),
  };
}

// Strands' optional peers clash with the workspace's, so npm keeps its own copy under packages/strands;
// `@writ/strands` uses that copy, and so must the agent and model here (Strands keys hooks by class).
const strandsUrl = pathToFileURL(
  createRequire(new URL('../../../../packages/strands/package.json', import.meta.url)).resolve(
    '@strands-agents/sdk',
  ),
).href;

/** A Strands message, as far as the looping model reads it. */
interface StrandsMessage {
  readonly content: readonly { readonly type: string }[];
}

/**
 * Strands `Agent.invoke` with a model that streams Strands' own model events the way the scripted model
 * of examples/strands does (loaded from that package's copy of the SDK), a fresh conversation per run.
 */
export async function strandsLoop(): Promise<AdapterLoop> {
  const strands = (await import(strandsUrl)) as typeof StrandsSdk;
  type Plugin = StrandsSdk.Plugin;
  const { writPlugin } = await import('@writ/strands');
  const next = callIds();
  class LoopingModel extends strands.Model {
    #config = { modelId: 'bench-looping' };
    updateConfig(config: object): void {
      this.#config = { ...this.#config, ...config };
    }
    getConfig() {
      return this.#config;
    }
    async *stream(messages: StrandsMessage[]) {
      const answered = messages.at(-1)?.content.some((block) => block.type === 'toolResultBlock') === true;
      yield { type: 'modelMessageStartEvent' as const, role: 'assistant' as const };
      if (answered) {
        yield { type: 'modelContentBlockStartEvent' as const };
        yield {
          type: 'modelContentBlockDeltaEvent' as const,
          delta: { type: 'textDelta' as const, text: 'shipped' },
        };
        yield { type: 'modelContentBlockStopEvent' as const };
        yield { type: 'modelMessageStopEvent' as const, stopReason: 'endTurn' as const };
        return;
      }
      yield {
        type: 'modelContentBlockStartEvent' as const,
        start: { type: 'toolUseStart' as const, name: 'lookup_order', toolUseId: next() },
      };
      yield {
        type: 'modelContentBlockDeltaEvent' as const,
        delta: { type: 'toolUseInputDelta' as const, input: JSON.stringify(ARGS) },
      };
      yield { type: 'modelContentBlockStopEvent' as const };
      yield { type: 'modelMessageStopEvent' as const, stopReason: 'toolUse' as const };
    }
  }
  const agentWith = (body: (args: LookupArgs) => Promise<unknown>, plugins: Plugin[] = []) => {
    const lookup = strands.tool({
      name: 'lookup_order',
      description: DESCRIPTION,
      inputSchema: input,
      callback: (args: LookupArgs) => body(args),
    });
    const agent = new strands.Agent({
      model: new LoopingModel(),
      tools: [lookup],
      plugins,
      printer: false,
    });
    return () => {
      agent.messages.length = 0; // a fresh conversation: the agent keeps every message
      return agent.invoke(PROMPT);
    };
  };
  return {
    id: 'strands',
    loop: 'Strands Agent.invoke, scripted Model (as examples/strands)',
    adapter: '@writ/strands writPlugin',
    none: () => agentWith(lookupOrder),
    adapted: (writ) => agentWith(lookupOrder, [writPlugin({ writ, tools: HINTS })]),
    direct: (call) => agentWith(call),
    // a plugin adding the hooks writPlugin adds, doing nothing
    hooked: () =>
      agentWith(lookupOrder, [
        {
          name: 'bench-noop',
          initAgent(agent) {
            agent.addHook(strands.BeforeInvocationEvent, () => undefined);
            agent.addHook(strands.BeforeToolCallEvent, async () => undefined);
          },
        },
      ]),
  };
}
