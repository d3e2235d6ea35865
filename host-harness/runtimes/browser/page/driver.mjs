// The in-page driver: runs one WASIX module on @wasmer/sdk in this page, for the browser
// runner (../session.mjs), over the page's WebSocket to it. The page is opened before its run
// is known: it loads the sdk and runs a warm-up module of its own (which starts the sdk's
// worker pool), says `ready`, and then serves exactly one run.
//
// Runner to page: a text message {"type": "run", id, args, env, files: [{path, size}],
//   module_size}, then the module's bytes and each file's bytes as binary messages, in that
//   order; while it runs, binary messages are stdin bytes and {"type": "stdin_end"} closes
//   stdin.
// Page to runner: {"type": "ready"} once the sdk is loaded; per run {"type": "started", id}
//   right before the guest starts; binary messages whose first byte is 1 (stdout) or 2
//   (stderr) followed by the bytes; and one ending: {"type": "exit", id, code, reason},
//   {"type": "rejected", id, message} (wait() failed: a trap in the guest's main
//   thread), or {"type": "failed", id, stage, message} (the guest never ran).
import "/h/trap-hook.mjs";

const token = location.pathname.split("/")[2];
const ws = new WebSocket(`ws://${location.host}/run/${token}/ws`);
ws.binaryType = "arraybuffer";

const marks = [];
const mark = (what) => marks.push(`${what} ${performance.now().toFixed(0)}`);
const send = (obj) => ws.send(JSON.stringify(obj));
const oneLine = (e) => String(e?.message ?? e).replace(/\s+/g, " ").trim().slice(0, 500);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// `_start` calls proc_exit(0): a module of ours, no guest's.
const text = (s) => [...new TextEncoder().encode(s)];
const WARM_UP = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 2, 96, 1, 127, 0, 96, 0, 0, 2, 36, 1, 22, ...text("wasi_snapshot_preview1"),
  9, ...text("proc_exit"), 0, 0, 3, 2, 1, 1, 5, 3, 1, 0, 1, 7, 19, 2, 6, ...text("memory"), 2, 0, 6,
  ...text("_start"), 0, 1, 10, 8, 1, 6, 0, 65, 0, 16, 0, 11,
]);
async function warmUp(wasmer) {
  const pkg = await wasmer.packages.create({ modules: { main: WARM_UP }, commands: { main: { module: "main" } } });
  const sandbox = await wasmer.sandboxes.create({ packages: [pkg], network: { mode: "disabled" } });
  const proc = await sandbox.command(pkg, []).spawn({ stdin: "closed", stdout: "pipe", stderr: "pipe" });
  const out = await proc.wait({ check: false });
  if (out.exitCode !== 0) throw new Error(`the warm-up module ended with ${out.exitCode}`);
}

// What the runner sends, sorted as it arrives: a run's header and its binary parts (module,
// files) make one request; binary messages outside a request, and `stdin_end`, are the
// current run's stdin (buffered until its process exists, dropped once it has ended).
const requests = [];
let receiving = null;
let wake = null;
let closed = false;
let stdin = { queue: [], ended: false, target: null };
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
  if (stdin.ended) return;
  if (chunk === null) stdin.ended = true;
  stdin.queue.push(chunk);
  stdin.target?.();
}
async function nextRequest() {
  while (requests.length === 0 && !closed) await new Promise((r) => (wake = r));
  wake = null;
  return requests.shift() ?? null;
}

async function runOne(wasmer, { run, parts }) {
  const id = run.id;
  const module = parts[0];
  if (module.length !== run.module_size) throw new Error("the module arrived cut");
  const files = {};
  (run.files ?? []).forEach((f, i) => (files[f.path] = parts[i + 1]));
  marks.length = 0;
  mark("received");
  let pkg, sandbox, proc;
  try {
    pkg = await wasmer.packages.create({ modules: { main: module }, commands: { main: { module: "main" } }, files });
  } catch (e) {
    return send({ type: "failed", id, stage: "package", message: oneLine(e) });
  }
  mark("package");
  const env = Object.fromEntries(run.env ?? []);
  try {
    sandbox = await wasmer.sandboxes.create({ packages: [pkg], env, network: { mode: "disabled" } });
  } catch (e) {
    return send({ type: "failed", id, stage: "sandbox", message: oneLine(e) });
  }
  mark("sandbox");
  send({ type: "started", id });
  try {
    proc = await sandbox.command(pkg, run.args ?? [], { env }).spawn({ stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  } catch (e) {
    return send({ type: "failed", id, stage: "spawn", message: oneLine(e) });
  }
  mark("spawned");

  // stdin: whatever the runner sends, in order, then close. Ends with the run.
  let ended = false;
  const mine = stdin;
  (async () => {
    for (;;) {
      while (mine.queue.length === 0 && !ended) await new Promise((r) => (mine.target = r));
      if (ended) return;
      const chunk = mine.queue.shift();
      if (chunk === null) return await proc.stdin.close();
      await proc.stdin.write(chunk);
    }
  })().catch(() => {});

  const pump = async (stream, tag) => {
    for await (const value of stream) {
      const framed = new Uint8Array(value.byteLength + 1);
      framed[0] = tag;
      framed.set(value, 1);
      ws.send(framed);
    }
  };
  const pumps = Promise.all([pump(proc.stdout, 1), pump(proc.stderr, 2)])
    .catch((e) => console.error(`output pump: ${oneLine(e)}`));
  let output, rejected;
  try {
    output = await proc.wait({ check: false });
  } catch (e) {
    rejected = e;
  }
  mark("waited");
  // What the guest wrote before it ended (bounded: a stuck writer must not keep us here).
  await Promise.race([pumps, sleep(200)]);
  ended = true;
  mine.target?.();
  stdin = { queue: [], ended: false, target: null };
  mark("drained");
  console.log(`timeline (ms since the page opened): ${marks.join(", ")}`);
  if (rejected) return send({ type: "rejected", id, message: String(rejected?.message ?? rejected).slice(0, 2000) });
  send({ type: "exit", id, code: output.exitCode, reason: output.reason });
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
  const request = await nextRequest();
  if (!request) return;
  await runOne(wasmer, request)
    .catch((e) => send({ type: "failed", id: request.run.id, stage: "driver", message: oneLine(e) }));
}

main().catch((e) => {
  try {
    send({ type: "failed", stage: "driver", message: oneLine(e) });
  } catch {}
});
