// Runs first in the page and in every worker the sdk starts (the server's /h/worker.mjs imports
// it before the sdk's own worker script). Four jobs, the first three by the guest hooks the sdk
// runner in Node shares (../../js/guest-hooks.mjs, served as /h/guest-hooks.mjs):
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
import { installGuestHooks } from "/h/guest-hooks.mjs";

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

installGuestHooks({
  onStart: () => guestStarted && Atomics.store(guestStarted, 0, 1),
  onExit: (status) => {
    const record = exitRecord;
    if (record && Atomics.compareExchange(record, 0, 0, 1) === 0) Atomics.store(record, 1, status);
  },
  onTrap: record,
  count: () => guestEntries,
});

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
