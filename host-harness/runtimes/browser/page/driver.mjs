// The in-page driver: runs WASIX modules on @wasmer/sdk in this page, one after another, for
// the browser runner (../session.mjs), over the page's WebSocket to it. The page is opened
// before its first run is known: it loads the sdk and runs a warm-up module of its own (which
// starts the sdk's worker pool), says `ready`, and then serves runs. Each run gets its own sdk
// package and sandbox (../sdk-run.mjs); after each, the page says whether every call into the
// guest had returned within a short grace (`settled`): only then does the runner give it
// another run, otherwise it closes the page, and with it every worker the guest left running.
//
// Runner to page: a text message {"type": "run", id, args, env, files: [{path, size}],
//   module_size}, then the module's bytes and each file's bytes as binary messages, in that
//   order; while it runs, binary messages are stdin bytes and {"type": "stdin_end"} closes
//   stdin.
// Page to runner: {"type": "ready"} once the sdk is loaded; per run {"type": "started", id}
//   right before the guest starts; {"type": "warning", id, message}; binary messages whose first byte is 1 (stdout) or 2
//   (stderr) followed by the bytes; one ending: {"type": "exit", id, code, reason},
//   {"type": "rejected", id, message} (wait() failed: a trap in the guest's main thread), or
//   {"type": "failed", id, stage, message} (the guest never ran); then {"type": "settled", id,
//   clean}. An `exit` carries `passed`: what the guest passed to proc_exit, if it did.
import { exitRecord, guestEntries, guestStarted } from "/h/trap-hook.mjs";
import { runOnSdk } from "/h/sdk-run.mjs";
import { warmUp } from "/h/warm-up.mjs";

// How long after a run's end its guest threads may take to return (as in ../sdk/instance.mjs).
const SETTLE_GRACE_MS = 250;

const token = location.pathname.split("/")[2];
const ws = new WebSocket(`ws://${location.host}/run/${token}/ws`);
ws.binaryType = "arraybuffer";

const send = (obj) => ws.send(JSON.stringify(obj));
const oneLine = (e) => String(e?.message ?? e).replace(/\s+/g, " ").trim().slice(0, 500);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Whether every call into guest code has returned, waiting at most `graceMs`.
async function drained(graceMs) {
  const until = performance.now() + graceMs;
  while (Atomics.load(guestEntries, 0) !== 0) {
    if (performance.now() >= until) return false;
    await sleep(2);
  }
  return true;
}

// What the runner sends, sorted as it arrives: a run's header and its binary parts (module,
// files) make one request; binary messages outside a request, and `stdin_end`, are the
// current run's stdin (buffered until its process exists, dropped once it has ended).
const requests = [];
let receiving = null;
let wake = null;
let closed = false;
let stdin = { queue: [], consumer: null };
ws.onmessage = (ev) => {
  const data = ev.data;
  if (receiving && typeof data !== "string") {
    receiving.parts.push(new Uint8Array(data));
    if (receiving.parts.length === 1 + (receiving.run.files?.length ?? 0)) {
      requests.push(receiving);
      receiving = null;
      wake?.();
    }
    return;
  }
  if (typeof data !== "string") return feedStdin(new Uint8Array(data));
  const msg = JSON.parse(data);
  if (msg.type === "run") receiving = { run: msg, parts: [] };
  else if (msg.type === "stdin_end") feedStdin(null);
};
ws.onclose = () => {
  closed = true;
  wake?.();
};
function feedStdin(chunk) {
  if (stdin.consumer) stdin.consumer(chunk);
  else stdin.queue.push(chunk);
}
async function nextRequest() {
  while (requests.length === 0 && !closed) await new Promise((r) => (wake = r));
  wake = null;
  return requests.shift() ?? null;
}

async function runOne(wasmer, { run, parts }) {
  const id = run.id;
  const module = parts[0];
  Atomics.store(exitRecord, 0, 0);
  if (module.length !== run.module_size) throw new Error("the module arrived cut");
  const files = {};
  (run.files ?? []).forEach((f, i) => (files[f.path] = parts[i + 1]));
  const output = (tag) => (value) => {
    const framed = new Uint8Array(value.byteLength + 1);
    framed[0] = tag;
    framed.set(value, 1);
    ws.send(framed);
  };
  const ended = await runOnSdk(wasmer, { module, args: run.args, env: run.env, files }, {
    started: () => send({ type: "started", id }),
    warning: (message) => send({ type: "warning", id, message }),
    stdout: output(1),
    stderr: output(2),
    stdin: (consumer) => {
      stdin.consumer = consumer;
      for (const chunk of stdin.queue.splice(0)) consumer(chunk);
    },
  }, guestStarted);
  stdin = { queue: [], consumer: null };
  if (ended.failed) send({ type: "failed", id, stage: ended.failed, message: ended.message });
  else if (ended.rejected !== undefined) send({ type: "rejected", id, message: ended.rejected });
  else {
    const passed = Atomics.load(exitRecord, 0) === 1 ? Atomics.load(exitRecord, 1) : null;
    send({ type: "exit", id, code: ended.exit.code, reason: ended.exit.reason, passed });
  }
}

async function main() {
  const sdk = import("/sdk/dist/index.js").then(async ({ Wasmer }) => {
    const wasmer = new Wasmer({ cache: false });
    await wasmer.ready();
    await warmUp(wasmer);
    return wasmer;
  });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("cannot reach the runner"));
  });
  let wasmer;
  try {
    wasmer = await sdk;
  } catch (e) {
    return send({ type: "failed", stage: "sdk", message: oneLine(e) });
  }
  send({ type: "ready" });
  for (;;) {
    const request = await nextRequest();
    if (!request) return;
    await runOne(wasmer, request)
      .catch((e) => send({ type: "failed", id: request.run.id, stage: "driver", message: oneLine(e) }));
    send({ type: "settled", id: request.run.id, clean: await drained(SETTLE_GRACE_MS) });
  }
}

main().catch((e) => {
  try {
    send({ type: "failed", stage: "driver", message: oneLine(e) });
  } catch {}
});
