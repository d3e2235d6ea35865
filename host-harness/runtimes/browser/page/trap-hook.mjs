// Runs first in the page and in every worker the sdk starts (the server's /h/worker.mjs imports
// it before the sdk's own worker script). Four jobs:
//   * record a trap of guest code: the sdk calls a guest's entry points through its
//     wasm-bindgen glue (`Reflect.apply`); a trap surfaces there as a WebAssembly.RuntimeError
//     (V8's stack overflow: RangeError; SpiderMonkey's: InternalError "too much recursion").
//     The sdk turns a trap in a spawned thread into exit status 129 and prints nothing, so this
//     record is the only way to tell it from the guest's own exit(129). It is sent with a
//     synchronous request, so the runner holds it before the sdk has even seen the error;
//   * count the calls into guest code in progress (the same `Reflect.apply`), in memory shared
//     by the page and all its workers (`guestEntries`): zero after a run's end means no guest
//     thread of it still runs, so the page may serve another run (driver.mjs);
//   * note the status a guest passes to proc_exit, all 32 bits (`exitRecord`: [0] 1 once
//     noted, [1] the value): the sdk keeps only `(status % 256) as u16` of it, so exit(256)
//     would look like exit(0) (the runner's protocol.fullExitStatus); and raise the page's
//     `guestStarted` flag when a guest module is instantiated (its `_start` is next: the
//     moment the guest's time begins, after the worker that runs it started);
//   * make every Worker the sdk starts (also from inside a worker) load through /h/worker.mjs,
//     and hand it the shared memory as its first message.
const scope = globalThis;
const token = scope.document
  ? scope.location.pathname.split("/")[2]
  : new URLSearchParams(scope.location.search).get("t");

// The page makes them; a worker gets them from whoever started it, before any other message.
export let guestEntries = scope.document ? new Int32Array(new SharedArrayBuffer(4)) : null;
export let exitRecord = scope.document ? new Int32Array(new SharedArrayBuffer(8)) : null;
export let guestStarted = scope.document ? new Int32Array(new SharedArrayBuffer(4)) : null;
if (!scope.document) {
  scope.addEventListener("message", (ev) => {
    const mine = ev.data?.__wasixHarness;
    if (!mine) return;
    guestEntries = new Int32Array(mine.guestEntries);
    exitRecord = new Int32Array(mine.exitRecord);
    guestStarted = new Int32Array(mine.guestStarted);
    ev.stopImmediatePropagation();
  });
}

// The sdk's own wasm (wasm-bindgen) imports its glue as "./<name>_bg.js".
const isSdkGlue = (imports) => !!imports && typeof imports === "object" && Object.keys(imports).some((k) => k.startsWith("./"));
const EXIT_IMPORTS = [
  ["wasi_snapshot_preview1", "proc_exit"],
  ["wasi_unstable", "proc_exit"],
  ["wasix_32v1", "proc_exit"],
  ["wasix_32v1", "proc_exit2"],
  ["wasix_64v1", "proc_exit"],
  ["wasix_64v1", "proc_exit2"],
];

// A copy of `imports` whose exit functions note their argument first. A module instantiated
// without the sdk's own glue namespace ("./wasmer_sdk_js_bg.js") is a guest's: that raises
// `guestStarted`.
function noteExits(imports) {
  if (guestStarted && !isSdkGlue(imports)) Atomics.store(guestStarted, 0, 1);
  if (!imports || typeof imports !== "object") return imports;
  let copy = null;
  for (const [ns, name] of EXIT_IMPORTS) {
    const f = imports[ns]?.[name];
    if (typeof f !== "function") continue;
    copy ??= { ...imports };
    copy[ns] = {
      ...copy[ns],
      [name](status, ...rest) {
        const record = exitRecord;
        if (record && Atomics.compareExchange(record, 0, 0, 1) === 0) Atomics.store(record, 1, status | 0);
        return f.call(this, status, ...rest);
      },
    };
  }
  return copy ?? imports;
}
const Instance = WebAssembly.Instance;
WebAssembly.Instance = function (module, imports) {
  return new Instance(module, noteExits(imports));
};
WebAssembly.Instance.prototype = Instance.prototype;
const instantiate = WebAssembly.instantiate;
WebAssembly.instantiate = (source, imports, ...rest) => instantiate(source, noteExits(imports), ...rest);

function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError ||
    (e instanceof RangeError && /call stack/i.test(e.message)) ||
    (e?.name === "InternalError" && /recursion/i.test(e.message));
}

function record(e) {
  try {
    const frame = String(e.stack ?? "").split("\n").find((l) => l.includes("wasm")) ?? "";
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/run/${token}/trap`, false);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.send(JSON.stringify({ name: String(e.name), message: String(e.message), frame: frame.trim().slice(0, 300) }));
  } catch {
    // the run is over, or the page is going away
  }
}

const apply = Reflect.apply;
Reflect.apply = function (f, self, args) {
  const count = guestEntries;
  if (count) Atomics.add(count, 0, 1);
  try {
    return apply(f, self, args);
  } catch (e) {
    if (isTrap(e)) record(e);
    throw e;
  } finally {
    if (count) Atomics.sub(count, 0, 1);
  }
};

const Native = scope.Worker;
if (Native && !Native.wasixHarness) {
  class HarnessWorker extends Native {
    constructor(url, options) {
      const u = new URL(String(url), scope.location.href);
      const ours = u.origin === scope.location.origin && /^\/sdk\/dist\/[a-z-]+\.js$/.test(u.pathname);
      if (ours) super(`/h/worker.mjs?t=${token}&u=${encodeURIComponent(u.pathname)}`, options);
      else super(url, options);
      // Posted before whoever starts the worker posts anything: its first message.
      if (ours && guestEntries)
        this.postMessage({
          __wasixHarness: { guestEntries: guestEntries.buffer, exitRecord: exitRecord.buffer, guestStarted: guestStarted.buffer },
        });
    }
  }
  HarnessWorker.wasixHarness = true;
  scope.Worker = HarnessWorker;
}
