// Loaded by run.mjs in place of the sdk's own worker script (which it then imports): records a
// trap of guest code that runs in this worker, for run.mjs to classify the end as `trapped`.
//
// The sdk calls a guest's `_start` and `wasi_thread_start` through `Reflect.apply` (its
// wasm-bindgen glue). A trap (unreachable, out-of-bounds access, stack overflow, ...) surfaces
// there as a WebAssembly.RuntimeError (a RangeError for V8's stack overflow), whereas a guest's
// proc_exit/thread_exit unwinds as the sdk's own error value. The sdk itself turns a trap in a
// spawned thread into exit status 129 and prints nothing, so this record is the only way to tell
// that trap from a guest's own exit(129). The record is memory shared with run.mjs, not a file.
//
// It also notes the status a guest passes to proc_exit, all 32 bits: the sdk keeps only
// `(status % 256) as u16` of it (protocol.fullExitStatus), so exit(256) would look like exit(0).
import { workerData } from "node:worker_threads";

import { FirstRecord } from "./protocol.mjs";

const { trapBuffer, exitBuffer, workerUrl } = workerData.__wasixHarness;
const traps = new FirstRecord(trapBuffer);
const exits = new FirstRecord(exitBuffer);

const EXIT_IMPORTS = [
  ["wasi_snapshot_preview1", "proc_exit"],
  ["wasi_unstable", "proc_exit"],
  ["wasix_32v1", "proc_exit"],
  ["wasix_32v1", "proc_exit2"],
  ["wasix_64v1", "proc_exit"],
  ["wasix_64v1", "proc_exit2"],
];

// A copy of `imports` whose exit functions note their argument first.
function noteExits(imports) {
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
  try {
    return apply(f, self, args);
  } catch (e) {
    if (isTrap(e)) traps.record(e.message);
    throw e;
  }
};
await import(workerUrl);
