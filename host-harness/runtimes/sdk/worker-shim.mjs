// Loaded by instance.mjs in place of the sdk's own worker script (which it then imports):
// records a trap of guest code that runs in this worker, for the instance to classify the end
// as `trapped`, and counts the calls into guest code in progress, for the instance to know
// whether a run left a guest thread running (run.mjs logs it).
//
// The sdk calls a guest's `_start` and `wasi_thread_start` through `Reflect.apply` (its
// wasm-bindgen glue). A trap (unreachable, out-of-bounds access, stack overflow, ...) surfaces
// there as a WebAssembly.RuntimeError (a RangeError for V8's stack overflow), whereas a guest's
// proc_exit/thread_exit unwinds as the sdk's own error value. The sdk itself turns a trap in a
// spawned thread into exit status 129 and prints nothing, so this record is the only way to tell
// that trap from a guest's own exit(129). The records are memory shared with the instance's
// thread, not files.
//
// It also notes the status a guest passes to proc_exit, all 32 bits: the sdk keeps only
// `(status % 256) as u16` of it (protocol.fullExitStatus), so exit(256) would look like exit(0);
// and it raises the instance's `started` flag when a guest module is instantiated (its
// `_start` is next): the moment the guest's time begins, after the worker that runs it started.
import { workerData } from "node:worker_threads";

import { FirstRecord, GuestEntries } from "./protocol.mjs";

const { trapBuffer, exitBuffer, entriesBuffer, startedBuffer, workerUrl } = workerData.__wasixHarness;
const started = new Int32Array(startedBuffer);
const traps = new FirstRecord(trapBuffer);
const exits = new FirstRecord(exitBuffer);
const entries = new GuestEntries(entriesBuffer);

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
// the `started` flag.
function noteExits(imports) {
  if (!isSdkGlue(imports)) Atomics.store(started, 0, 1);
  if (!imports || typeof imports !== "object") return imports;
  let copy = null;
  for (const [ns, name] of EXIT_IMPORTS) {
    const f = imports[ns]?.[name];
    if (typeof f !== "function") continue;
    copy ??= { ...imports };
    copy[ns] = {
      ...copy[ns],
      [name](status, ...rest) {
        exits.record(String(status | 0));
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
const apply = Reflect.apply;
function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError ||
    (e instanceof RangeError && /call stack/i.test(e.message));
}
Reflect.apply = function (f, self, args) {
  entries.enter();
  try {
    return apply(f, self, args);
  } catch (e) {
    if (isTrap(e)) traps.record(e.message);
    throw e;
  } finally {
    entries.leave();
  }
};
await import(workerUrl);
