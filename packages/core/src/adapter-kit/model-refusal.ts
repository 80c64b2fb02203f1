import { WritError } from '../errors.js';
import { refusalMessage } from './messages.js';

/**
 * A refusal, as a framework hands a tool's thrown error to the model: a `WritError` with the refusal's
 * code and details whose message, and `toString()`, are {@link refusalMessage} alone
 * (`Refused by Writ (<code>): <why>. The tool was not run.`). The original is its `cause`. For
 * frameworks that turn a tool's thrown error into the tool result (the AI SDK sends `String(error)`,
 * Mastra `error.message`).
 *
 * @example
 * ```ts
 * import { WritError } from '@writ/core';
 * import { modelRefusal } from '@writ/core/adapter';
 *
 * async function execute(args: unknown, toolCallId: string): Promise<unknown> {
 *   try {
 *     return await adapted.run(args, { toolCallId });
 *   } catch (error) {
 *     if (!executed && WritError.isInstance(error)) throw modelRefusal(error); // what the model reads
 *     throw error; // the tool's own errors stay as they are
 *   }
 * }
 * ```
 */
export function modelRefusal(error: WritError): WritError {
  return new ModelRefusal(error.code, refusalMessage(error), { cause: error, details: error.details });
}

class ModelRefusal extends WritError {
  override toString(): string {
    return this.message;
  }
}
