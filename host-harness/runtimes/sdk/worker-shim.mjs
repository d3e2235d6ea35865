// Loaded by instance.mjs in place of the sdk's own worker script (which it then imports): the
// guest hooks (guest-hooks.mjs) of this worker, reporting into memory shared with the
// instance's thread (no file):
//   * a trap that leaves guest code: the sdk turns a trap in a spawned thread into exit status
//     129 and prints nothing, so this record is the only way to tell it from a guest's own
//     exit(129);
//   * the status a guest passes to proc_exit, all 32 bits (protocol.fullExitStatus);
//   * calls into guest code in progress (the instance is used again only when none is);
//   * the instantiation of a guest module, which is when the guest's time starts.
import { workerData } from "node:worker_threads";

import { installGuestHooks } from "./guest-hooks.mjs";
import { FirstRecord } from "./protocol.mjs";

const { trapBuffer, exitBuffer, entriesBuffer, startedBuffer, workerUrl } = workerData.__wasixHarness;
const traps = new FirstRecord(trapBuffer);
const exits = new FirstRecord(exitBuffer);
const entries = new Int32Array(entriesBuffer);
const started = new Int32Array(startedBuffer);

installGuestHooks({
  count: () => entries,
  onStart: () => Atomics.store(started, 0, 1),
  onTrap: (e) => traps.record(e.message),
  onExit: (status) => exits.record(String(status)),
});
await import(workerUrl);
