// Loaded by instance.mjs in place of the sdk's own worker script (which it then imports): the
// guest hooks (guest-hooks.mjs) of this worker, with their records in memory shared with the
// instance's thread, not files:
//   * a trap of guest code, for the instance to classify the end as `trapped` (the sdk itself
//     turns a trap in a spawned thread into exit status 129 and prints nothing);
//   * the status a guest passes to proc_exit, all 32 bits (protocol.fullExitStatus);
//   * the calls into guest code in progress, for the instance to know whether a run left a
//     guest thread running (run.mjs logs it);
//   * the instance's `started` count: the guest modules instantiated in this run (its main
//     thread's, then one per thread it starts).
import { workerData } from "node:worker_threads";

import { installGuestHooks } from "./guest-hooks.mjs";
import { FirstRecord, GuestEntries } from "./protocol.mjs";

const { trapBuffer, exitBuffer, entriesBuffer, startedBuffer, workerUrl } = workerData.__wasixHarness;
const started = new Int32Array(startedBuffer);
const traps = new FirstRecord(trapBuffer);
const exits = new FirstRecord(exitBuffer);
const entries = new GuestEntries(entriesBuffer);

installGuestHooks({
  onStart: () => Atomics.add(started, 0, 1),
  onExit: (status) => exits.record(String(status)),
  onTrap: (e) => traps.record(e.message),
  count: () => entries.count,
});
await import(workerUrl);
