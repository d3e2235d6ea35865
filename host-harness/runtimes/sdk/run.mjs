// wasix-harness runner for @wasmer/sdk (Node): `node run.mjs`, started by the harness with the
// sandbox protocol's two descriptors (../PROTOCOL.md, version 3; ./protocol.mjs is
// ../js/protocol.mjs, installed beside this file).
//
// One runner serves many runs, one after another, with each guest's streams on the protocol's
// channel. A run happens on an sdk instance (instance.mjs: a Wasmer of its own in a worker
// thread of its own) with a package and a sandbox of its own (its files, environment, stdio,
// processes). After a run the instance serves the next one only if it says it is healthy
// (instance.mjs, `healthy`: the guest exited, no call into it is still running, and the sdk
// still runs its warm-up module to the end); otherwise it is terminated, with every worker it
// started, and the spare, prepared in the background, takes the next run.
//
// Nothing of the runner's own goes to stdout/stderr: diagnostics go to the protocol's log.
// Time belongs to the parent: no sdk timeout is set (the parent kills our process group).
//
// What the sdk cannot do, and what this runner does instead:
//   * memory_limit: the sdk has no way to cap a guest's memory. A limit at or above 1 GiB (the
//     maximum of every wasm32-wasmer-wasi module) changes nothing and runs; a smaller one is
//     reported `unsupported`.
//   * dirs: the sdk cannot map a host directory into the guest; their files are copied into the
//     run's package instead (sandbox-files.mjs), and an empty directory, which a package cannot
//     make, is `unsupported`.
//   * traps: the sdk reports a process that ended by a trap like an exit; see instance.mjs.
import { Worker } from "node:worker_threads";

import * as protocol from "./protocol.mjs";
import { collectDirs } from "./sandbox-files.mjs";

const GIB = 1073741824;

function log(msg) {
  protocol.log(`sdk-runner: ${msg}`);
}

function oneLine(s) {
  return String(s ?? "").replace(/\s+/g, " ").trim().slice(0, 500);
}

process.on("uncaughtException", (e) => {
  log(`uncaught exception: ${e?.stack ?? e}`);
  process.exit(protocol.status.INTERNAL);
});
process.on("unhandledRejection", (e) => {
  log(`unhandled rejection: ${e?.stack ?? e}`);
  process.exit(protocol.status.INTERNAL);
});

let instances = 0;

// One sdk instance (instance.mjs) and what it says.
class Instance {
  constructor() {
    this.n = ++instances;
    this.worker = new Worker(new URL("./instance.mjs", import.meta.url), { stdout: true, stderr: true });
    for (const s of [this.worker.stdout, this.worker.stderr])
      s.on("data", (d) => log(`instance ${this.n}: ${oneLine(d.toString())}`));
    this.handlers = null; // the run being served
    this.gone = null;
    this.ready = new Promise((resolve, reject) => {
      this.readyNow = resolve;
      this.failReady = reject;
    });
    this.ready.catch(() => {});
    this.worker.on("message", (m) => this.#message(m));
    this.worker.on("error", (e) => this.#lost(`the sdk instance failed: ${oneLine(e?.message ?? e)}`));
    this.worker.on("exit", (code) => this.#lost(`the sdk instance ended (status ${code})`));
  }

  #message(m) {
    switch (m.type) {
      case "log":
        return log(`instance ${this.n}: ${m.line}`);
      case "ready":
        return this.readyNow();
      case "failed":
        return this.#lost(`the sdk cannot start: ${m.message}`);
      default:
        return this.handlers?.(m);
    }
  }

  #lost(why) {
    if (this.gone) return;
    this.gone = why;
    this.failReady(new Error(why));
    this.handlers?.({ type: "lost", why });
  }

  // Ends the instance and every worker it started.
  discard() {
    this.gone ??= "discarded";
    this.handlers = null;
    return this.worker.terminate().catch(() => {});
  }
}

// The instance that serves the next run: the last run's, if it is healthy, else the spare,
// prepared while the last run went on.
const pool = {
  current: null,
  spare: null,
  settling: null,

  // The next run's instance, ready (a new one, once more, if it fails to start).
  async take() {
    await this.settling;
    let instance = this.current && !this.current.gone ? this.current : null;
    this.current = null;
    if (!instance) {
      instance = this.spare && !this.spare.gone ? this.spare : new Instance();
      this.spare = null;
    }
    try {
      await instance.ready;
    } catch (e) {
      log(`instance ${instance.n} did not start (${oneLine(e?.message ?? e)}); trying a new one`);
      instance.discard();
      instance = new Instance();
      await instance.ready;
    }
    return instance;
  },

  // After a run's outcome: its instance is kept if it says it is healthy, else ended; a spare
  // is made ready beside it either way.
  settle(instance, settled) {
    this.settling = settled.then((clean) => {
      if (clean && !instance.gone) this.current = instance;
      else {
        log(`instance ${instance.n} discarded: ${instance.gone ?? "not healthy after its run"}`);
        instance.discard();
      }
      if (!this.spare || this.spare.gone) this.spare = new Instance();
    });
  },
};

async function handle(run, module, channel) {
  log(`run ${run.id}: ${JSON.stringify({ module: run.module, args: run.args, memory_limit: run.memory_limit, dirs: run.dirs })}`);
  // The module was checked by the harness before the run was sent (PROTOCOL.md): valid, a
  // `_start`, a memory, imports the sdk provides, features this runtime can load.
  if (run.memory_limit != null && run.memory_limit < GIB)
    return channel.outcome({
      kind: "unsupported",
      message: `not supported on sdk: a memory limit below 1 GiB (${run.memory_limit} bytes requested)`,
    });
  // The copies live in memory, so they count against the run's memory budget.
  const copied = collectDirs(run.dirs ?? [], run.memory_limit ?? GIB, log);
  if (copied.unsupported) return channel.outcome({ kind: "unsupported", message: `not supported on sdk: ${copied.unsupported}` });

  let instance;
  try {
    instance = await pool.take();
  } catch (e) {
    return channel.outcome({ kind: "crashed", message: oneLine(e?.message ?? e) });
  }
  let settled;
  const settledPromise = new Promise((r) => (settled = r));
  const ended = new Promise((resolve) => {
    instance.handlers = (m) => {
      switch (m.type) {
        case "started":
          return channel.started();
        case "warning":
          return channel.warning(m.message);
        case "stdout":
          return channel.stdout(m.bytes);
        case "stderr":
          return channel.stderr(m.bytes);
        case "outcome":
          return resolve(m.report);
        case "settled":
          return settled(m.clean);
        case "lost":
          settled(false);
          return resolve({ kind: "crashed", message: `${m.why} before the guest ended` });
      }
    };
  });
  channel.stdin((chunk) => {
    if (chunk === null) instance.worker.postMessage({ type: "stdin_end" });
    else instance.worker.postMessage({ type: "stdin", bytes: chunk }, [chunk.buffer]);
  });
  instance.worker.postMessage({
    type: "run",
    request: { module, args: run.args ?? [], env: run.env ?? [], files: copied.files },
  });
  const report = await ended;
  channel.outcome(report);
  log(`run ${run.id}: outcome ${JSON.stringify(report)}`);
  pool.settle(instance, settledPromise);
}

if (process.argv.length > 2) process.exit(2);
// The first instance starts loading before the first run arrives.
pool.spare = new Instance();
protocol.serve(handle);
