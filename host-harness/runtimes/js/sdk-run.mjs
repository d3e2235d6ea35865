// One run of a WASIX module on a ready @wasmer/sdk instance: the same in Node (../sdk/instance.mjs)
// and in a browser page (../browser/page/driver.mjs, which imports it from the runner's server).
//
// Every run gets its own package (the module, and the mapped directories' files) and its own
// sandbox (environment, file system, processes), so nothing of an earlier run on the same
// instance is visible to it. What the run ended with is returned as it happened; classifying
// it (exit, trap, crash) is the caller's, who holds the trap records.
//
//   request: { module (Uint8Array), args, env: [[k, v]], files: {guestPath: Uint8Array} }
//   io: { started(), stdout(bytes), stderr(bytes), stdin(consumer) }: `consumer(bytes)` and
//       `consumer(null)` (end of stdin) are how the caller feeds the guest's stdin.
//   -> { exit: { code, reason } } | { rejected: message } (wait() failed: a trap in the guest's
//      main thread) | { failed: stage, message } (the guest never ran: "package", "sandbox",
//      "spawn")
const DRAIN_MS = 200;

const oneLine = (e) => String(e?.message ?? e).replace(/\s+/g, " ").trim().slice(0, 500);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function runOnSdk(wasmer, request, io) {
  let pkg, sandbox, proc;
  try {
    pkg = await wasmer.packages.create({
      modules: { main: request.module },
      commands: { main: { module: "main" } },
      files: request.files ?? {},
    });
  } catch (e) {
    return { failed: "package", message: oneLine(e) };
  }
  const env = Object.fromEntries(request.env ?? []);
  try {
    sandbox = await wasmer.sandboxes.create({ packages: [pkg], env, network: { mode: "disabled" } });
  } catch (e) {
    return { failed: "sandbox", message: oneLine(e) };
  }
  try {
    // The module is compiled (packages.create) and the guest's first instruction is next.
    io.started();
    try {
      // No timeoutMs: the parent owns the clock. Streams are piped, so no output limit applies.
      proc = await sandbox.command(pkg, request.args ?? [], { env }).spawn({ stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    } catch (e) {
      return { failed: "spawn", message: oneLine(e) };
    }

    // stdin: in order, then closed; a stdin that stays open keeps the guest's reads blocked.
    let ended = false;
    let chain = Promise.resolve();
    io.stdin((chunk) => {
      if (ended) return;
      chain = chain.then(() => (chunk === null ? proc.stdin.close() : proc.stdin.write(chunk))).catch(() => {});
    });

    const pump = async (stream, out) => {
      for await (const chunk of stream) out(chunk);
    };
    const pumps = Promise.all([pump(proc.stdout, io.stdout), pump(proc.stderr, io.stderr)]).catch(() => {});
    let output, rejected;
    try {
      output = await proc.wait({ check: false });
    } catch (e) {
      rejected = e;
    }
    // What the guest wrote before it ended (bounded: a stream whose writer is a stuck worker
    // must not keep us here).
    await Promise.race([pumps, sleep(DRAIN_MS)]);
    ended = true;
    if (rejected) return { rejected: String(rejected?.message ?? rejected).slice(0, 2000) };
    return { exit: { code: output.exitCode, reason: output.reason } };
  } finally {
    // Its processes' resources; not waited for (a guest thread may still hold them).
    sandbox.close().catch(() => {});
  }
}
