// Runs first in the page and in every worker the sdk starts (the server's /h/worker.mjs imports
// it before the sdk's own worker script). Two jobs:
//   * record a trap of guest code: the sdk calls a guest's entry points through its
//     wasm-bindgen glue (`Reflect.apply`); a trap surfaces there as a WebAssembly.RuntimeError
//     (V8's stack overflow: RangeError; SpiderMonkey's: InternalError "too much recursion").
//     The sdk turns a trap in a spawned thread into exit status 129 and prints nothing, so this
//     record is the only way to tell it from the guest's own exit(129). It is sent with a
//     synchronous request, so the runner holds it before the sdk has even seen the error;
//   * make every Worker the sdk starts (also from inside a worker) load through /h/worker.mjs.
const scope = globalThis;
const token = scope.document
  ? scope.location.pathname.split("/")[2]
  : new URLSearchParams(scope.location.search).get("t");

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
  try {
    return apply(f, self, args);
  } catch (e) {
    if (isTrap(e)) record(e);
    throw e;
  }
};

const Native = scope.Worker;
if (Native && !Native.wasixHarness) {
  class HarnessWorker extends Native {
    constructor(url, options) {
      const u = new URL(String(url), scope.location.href);
      if (u.origin === scope.location.origin && /^\/sdk\/dist\/[a-z-]+\.js$/.test(u.pathname))
        super(`/h/worker.mjs?t=${token}&u=${encodeURIComponent(u.pathname)}`, options);
      else super(url, options);
    }
  }
  HarnessWorker.wasixHarness = true;
  scope.Worker = HarnessWorker;
}
