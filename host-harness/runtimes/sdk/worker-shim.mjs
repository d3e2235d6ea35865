// Loaded by run.mjs in place of the sdk's own worker script (which it then imports): records a
// trap of guest code that runs in this worker, for run.mjs to classify the end as `trapped`.
//
// The sdk calls a guest's `_start` and `wasi_thread_start` through `Reflect.apply` (its
// wasm-bindgen glue). A trap (unreachable, out-of-bounds access, stack overflow, ...) surfaces
// there as a WebAssembly.RuntimeError (a RangeError for V8's stack overflow), whereas a guest's
// proc_exit/thread_exit unwinds as the sdk's own error value. The sdk itself turns a trap in a
// spawned thread into exit status 129 and prints nothing, so this record is the only way to tell
// that trap from a guest's own exit(129). The record is memory shared with run.mjs, not a file.
import { workerData } from "node:worker_threads";

import { TrapRecord } from "./protocol.mjs";

const { trapBuffer, workerUrl } = workerData.__wasixHarness;
const traps = new TrapRecord(trapBuffer);
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
