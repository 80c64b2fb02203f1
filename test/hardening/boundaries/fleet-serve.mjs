// The child side of fleet-members.ts: answers each `{ id, op, input }` from the test over IPC with
// `{ id, ok, value | error }`, running `ops[op](input)`, then says `{ ready: true, ...ready }`. Values go
// through JSON (what IPC carries); an error keeps its code and message (stack with `stack: true`).
export function serveFleetOps(ops, ready = {}, { stack = false } = {}) {
  process.on('message', async ({ id, op, input }) => {
    try {
      const value = await ops[op](input ?? {});
      process.send({
        id,
        ok: true,
        value: value === undefined ? undefined : JSON.parse(JSON.stringify(value)),
      });
    } catch (error) {
      const message = String((stack ? error?.stack : error?.message) ?? error);
      process.send({ id, ok: false, error: { code: error?.code, message } });
    }
  });
  process.send({ ready: true, ...ready });
}
