// An sdk instance for run.mjs: one @wasmer/sdk `Wasmer` in a worker thread of its own, which
// serves runs one at a time. Every worker the sdk starts for it (its pool, a guest's threads)
// is a worker of this thread, so terminating this thread ends all of them: that is how run.mjs
// discards an instance that a guest thread still runs in.
//
// run.mjs to the instance: {type: "run", request} (see ../js/sdk-run.mjs), {type: "stdin",
//   bytes}, {type: "stdin_end"}.
// The instance to run.mjs: {type: "ready"} once the sdk is loaded and has run its warm-up
//   module, or {type: "failed", message}; per run {type: "started"}, {type: "warning", message},
//   {type: "stdout"|"stderr",
//   bytes}, {type: "outcome", report} (the protocol's forms) and then {type: "settled", clean}:
//   whether the instance may serve another run (see `healthy`); {type: "log", line} at any
//   time.
import { createRequire, syncBuiltinESMExports } from "node:module";
import { parentPort } from "node:worker_threads";

import { FirstRecord, GuestEntries, fullExitStatus, status } from "./protocol.mjs";
import { runOnSdk } from "./sdk-run.mjs";
import { warmUp } from "./warm-up.mjs";

// How long after a run's end its guest threads may take to return: threads the sdk ends with
// the process do so at once; one that spins or waits forever never does.
const SETTLE_GRACE_MS = 250;
// How long the warm-up module may take when run again after a run, to show the sdk still works.
const CANARY_MS = 3000;

const post = (message, transfer) => parentPort.postMessage(message, transfer);
const log = (line) => post({ type: "log", line: String(line) });
const oneLine = (s) => String(s ?? "").replace(/\s+/g, " ").trim().slice(0, 500);

// Shared with every worker of this instance (worker-shim.mjs).
const traps = new FirstRecord();
const exits = new FirstRecord();
const entries = new GuestEntries();
// Counted up by a worker when it instantiates a guest module (worker-shim.mjs); the run sets
// it to 0 when it starts.
const started = new Int32Array(new SharedArrayBuffer(4));

// Every Worker the sdk starts (node:worker_threads, imported by the sdk) runs worker-shim.mjs
// first, and its console output (the sdk's own diagnostics) goes to the log, never to the
// guest's stdout/stderr.
function installWorkerHooks() {
  const require = createRequire(import.meta.url);
  const wt = require("node:worker_threads");
  const Base = wt.Worker;
  const shim = new URL("./worker-shim.mjs", import.meta.url);
  class HarnessWorker extends Base {
    constructor(url, options = {}) {
      super(shim, {
        ...options,
        stdout: true,
        stderr: true,
        workerData: {
          __wasixHarness: {
            trapBuffer: traps.buffer,
            exitBuffer: exits.buffer,
            entriesBuffer: entries.buffer,
            startedBuffer: started.buffer,
            workerUrl: String(url),
          },
        },
      });
      for (const s of [this.stdout, this.stderr]) s.on("data", (d) => log(`sdk worker: ${oneLine(d.toString())}`));
    }
  }
  wt.Worker = HarnessWorker;
  syncBuiltinESMExports();
  for (const k of ["log", "info", "warn", "error", "debug", "trace"])
    console[k] = (...a) => log(`sdk: ${oneLine(a.map((x) => (x instanceof Error ? x.stack : String(x))).join(" "))}`);
}

// The sdk reports traps two ways (docs/runtimes/sdk.md): a trap on the guest's main thread
// rejects wait() ("RuntimeError: js: unreachable"); a trap in a spawned thread ends the process
// with 129 and nothing else, like a guest's own exit(129), which only the trap record in
// shared memory (worker-shim.mjs) tells apart.
function trapMessage(text) {
  const line = String(text ?? "").split("\n").find((l) => /RuntimeError|call stack/i.test(l)) ?? String(text ?? "");
  const m = /RuntimeError: (?:js: )?(.*)/.exec(line);
  return oneLine(m ? m[1] : line.replace(/^(?:RuntimeError: )?(?:js: )?/, ""));
}

function classify(ended) {
  const trap = traps.read();
  if (ended.failed)
    return ended.failed === "sandbox"
      ? { kind: "crashed", message: `sdk sandbox setup failed: ${ended.message}` }
      : { kind: "not_started", status: status.UNAVAILABLE, message: `the sdk cannot ${ended.failed === "package" ? "load" : "run"} the module: ${ended.message}` };
  if (ended.rejected !== undefined) {
    if (/RuntimeError|call stack/i.test(ended.rejected)) return { kind: "trapped", message: trapMessage(ended.rejected) };
    if (trap !== null) return { kind: "trapped", message: oneLine(trap) };
    return { kind: "crashed", message: `the sdk failed while running the guest: ${oneLine(ended.rejected)}` };
  }
  const { code, reason } = ended.exit;
  if (reason === "timeout") return { kind: "crashed", message: "the sdk reported its own timeout, but the runner set none" };
  if (reason === "terminated") return { kind: "crashed", message: `the sdk terminated the guest (status ${code})` };
  if (trap !== null) return { kind: "trapped", message: oneLine(trap) };
  const passed = exits.read();
  return { kind: "exited", code: fullExitStatus(code, passed === null ? null : Number(passed)) };
}

let stdinConsumer = null;
let stdinQueue = [];
parentPort.on("message", (m) => {
  if (m.type === "run") serveRun(m.request);
  else if (m.type === "stdin" || m.type === "stdin_end") {
    const chunk = m.type === "stdin" ? m.bytes : null;
    if (stdinConsumer) stdinConsumer(chunk);
    else stdinQueue.push(chunk);
  }
});

let wasmer = null;

async function serveRun(request) {
  traps.reset();
  exits.reset();
  stdinConsumer = null;
  const copy = (bytes) => {
    const owned = new Uint8Array(bytes);
    return [owned, [owned.buffer]];
  };
  let report;
  try {
    const ended = await runOnSdk(wasmer, request, {
      started: () => post({ type: "started" }),
      warning: (message) => post({ type: "warning", message }),
      stdout: (bytes) => {
        const [owned, transfer] = copy(bytes);
        post({ type: "stdout", bytes: owned }, transfer);
      },
      stderr: (bytes) => {
        const [owned, transfer] = copy(bytes);
        post({ type: "stderr", bytes: owned }, transfer);
      },
      stdin: (consumer) => {
        stdinConsumer = consumer;
        for (const chunk of stdinQueue.splice(0)) consumer(chunk);
      },
    }, started);
    report = classify(ended);
  } catch (e) {
    report = { kind: "crashed", message: `the sdk instance failed: ${oneLine(e?.message ?? e)}` };
  }
  stdinConsumer = null;
  stdinQueue = [];
  post({ type: "outcome", report });
  post({ type: "settled", clean: await healthy(report) });
}

// Whether this instance may serve another run after one that ended with `report`: the guest
// exited (a trap or an sdk failure leaves the sdk in a state nobody checked) without starting
// a thread, no call into it is still running, and the sdk still runs a process to its end
// (the warm-up module, within CANARY_MS). With only the drain check, a reused instance failed
// later runs in 88 of 345 runs of the scenario matrix: its scheduler dead ("the thread pool
// is shut down: Scheduler is dead"), "memory access out of bounds" inside the sdk, or a run
// that never started.
async function healthy(report) {
  if (report.kind !== "exited") return false;
  // Threads are where the sdk's state was seen to break, also with the checks below passing
  // (7 of 224 runs), so an instance whose guest started one is not used again.
  const instances = Atomics.load(started, 0);
  if (instances !== 1) {
    log(`the run instantiated ${instances} guest modules (threads): not used again`);
    return false;
  }
  if (!(await entries.drained(SETTLE_GRACE_MS))) {
    log(`${entries.now()} call(s) into the guest still running after ${SETTLE_GRACE_MS} ms`);
    return false;
  }
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve("no end"), CANARY_MS)));
  const canary = warmUp(wasmer).then(() => null, (e) => oneLine(e?.message ?? e));
  const failed = await Promise.race([canary, late]);
  clearTimeout(timer);
  if (failed) log(`the sdk no longer runs the warm-up module: ${failed}`);
  return failed === null;
}

installWorkerHooks();
try {
  const { Wasmer } = await import("@wasmer/sdk/node");
  wasmer = new Wasmer({ cache: false });
  await wasmer.ready();
  await warmUp(wasmer);
  if (!(await entries.drained(SETTLE_GRACE_MS))) throw new Error("the warm-up module left a thread running");
  post({ type: "ready" });
} catch (e) {
  post({ type: "failed", message: oneLine(e?.stack ?? e) });
}
