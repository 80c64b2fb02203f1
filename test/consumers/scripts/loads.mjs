// Preloaded with `node --import`: records every module the process resolves (import and require alike),
// so a scenario can tell whether @grpc/grpc-js was loaded.
import { registerHooks } from 'node:module';

globalThis.__writLoaded = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    globalThis.__writLoaded.push(resolved.url);
    return resolved;
  },
});
