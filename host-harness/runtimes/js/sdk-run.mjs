// One run of a WASIX module on a ready @wasmer/sdk instance: the same in Node (../sdk/instance.mjs)
// and in a browser page (../browser/page/driver.mjs, which imports it from the runner's server).
//
// Every run gets its own package (the module, and the mapped directories' files) and its own
// sandbox (environment, file system, processes), so nothing of an earlier run on the same
// instance is visible to it. What the run ended with is returned as it happened; classifying
// it (exit, trap, crash) is the caller's, who holds the trap records.
//
//   request: { module (Uint8Array), args, env: [[k, v]], files: {guestPath: Uint8Array} }
//   io: { started(), warning(text), stdout(bytes), stderr(bytes), stdin(consumer) }:
//       `consumer(bytes)` and `consumer(null)` (end of stdin) are how the caller feeds the
//       guest's stdin.
//   startedFlag: an Int32Array in memory the instance's workers share, which their shim sets
//       when a guest module is instantiated: `io.started()` is called when it is set (the
//       guest's `_start` is next), so the worker's own start-up is not the guest's time.
//   -> { exit: { code, reason } } | { rejected: message } (wait() failed: a trap in the guest's
//      main thread) | { failed: stage, message } (the guest never ran: "package", "sandbox",
//      "spawn")
const DRAIN_MS = 200;
// If no guest module was seen instantiated this long after the process was spawned, the guest
// is taken to have started anyway (a way of instantiating the shims do not see), so that the
// parent's guest timeout always runs.
const STARTED_FALLBACK_MS = 15000;

const oneLine = (e) => String(e?.message ?? e).replace(/\s+/g, " ").trim().slice(0, 500);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function runOnSdk(wasmer, request, io, startedFlag) {
  let pkg, sandbox, proc;
  let announced = false;
  const announce = () => {
    if (!announced) {
      announced = true;
      io.started();
    }
  };
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
  let ended = false;
  try {
    // The module is compiled (packages.create); the guest starts once the worker for its main
    // thread is up and has instantiated it.
    Atomics.store(startedFlag, 0, 0);
    const spawning = sandbox.command(pkg, request.args ?? [], { env }).spawn({ stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const fallback = Date.now() + STARTED_FALLBACK_MS;
    (async () => {
      while (!ended && !announced && Atomics.load(startedFlag, 0) === 0 && Date.now() < fallback) await sleep(1);
      if (ended || announced) return;
      if (Atomics.load(startedFlag, 0) === 0)
        io.warning(`the guest's start was not seen; its time counts from ${STARTED_FALLBACK_MS / 1000} s after it was spawned`);
      announce();
    })();
    try {
      // No timeoutMs: the parent owns the clock. Streams are piped, so no output limit applies.
      proc = await spawning;
    } catch (e) {
      return { failed: "spawn", message: oneLine(e) };
    }

    // stdin: in order, then closed; a stdin that stays open keeps the guest's reads blocked.
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
    // A guest that ended before its start was seen (its instantiation failed) still started.
    announce();
    // What the guest wrote before it ended (bounded: a stream whose writer is a stuck worker
    // must not keep us here).
    await Promise.race([pumps, sleep(DRAIN_MS)]);
    if (rejected) return { rejected: String(rejected?.message ?? rejected).slice(0, 2000) };
    return { exit: { code: output.exitCode, reason: output.reason } };
  } finally {
    ended = true;
    // Its processes' resources; not waited for (a guest thread may still hold them).
    sandbox.close().catch(() => {});
  }
}
