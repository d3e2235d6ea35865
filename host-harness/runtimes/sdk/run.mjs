// wasix-harness runner for @wasmer/sdk (Node): `node run.mjs`, started by the harness with the
// sandbox protocol's two descriptors (../PROTOCOL.md, version 2; ../js/protocol.mjs).
//
// Reads the run and the module's bytes, runs the module once on the sdk, streams the guest's
// stdout/stderr to this process's stdout/stderr as they arrive, feeds this process's stdin to
// the guest, sends `started` and exactly one outcome, and then ends this Node process at once,
// without waiting for the sdk's guest workers.
//
// Nothing of the runner's own goes to stdout/stderr: diagnostics go to the protocol's log.
// Time belongs to the parent: no sdk timeout is set (the parent kills our process group).
//
// What the sdk cannot do, and what this runner does instead:
//   * memory_limit: the sdk has no way to cap a guest's memory. A limit at or above 1 GiB (the
//     maximum of every wasm32-wasmer-wasi module) changes nothing and runs; a smaller one is
//     reported `unsupported`.
//   * dirs: the sdk cannot map a host directory into the guest (its sandbox filesystem API only
//     reaches `/workspace`). Instead each host directory's files are COPIED into the package
//     (`packages.create({files})`, canonical absolute guest paths), which the sdk mounts under a
//     writable in-memory overlay. Symlinks are followed only while they stay inside the mapped
//     directory, as wasmer's host filesystem resolves them (see collectDir). The guest sees the files and can write
//     there, but its writes never reach the host directory. The sdk has no way to create an
//     EMPTY directory (package files are files only), so a mapped directory that is empty or
//     holds an empty subdirectory is reported `unsupported` (the harness's scratch dirs are
//     fresh and empty, so scratch_dir scenarios are skipped on sdk).
//   * traps: the sdk reports a process that ended by a trap like an exit; see classify() below.

import fs from "node:fs";
import path from "node:path";
import { createRequire, syncBuiltinESMExports } from "node:module";

import * as protocol from "./protocol.mjs";

let channel = null;

function log(msg) {
  protocol.log(`sdk-runner: ${msg}`);
}

function oneLine(s) {
  return String(s ?? "").replace(/\s+/g, " ").trim().slice(0, 500);
}

// Send the outcome and end this process at once: the guest's workers are not waited for.
function finish(report) {
  if (channel) {
    channel.outcome(report);
    log(`outcome: ${JSON.stringify(report)}`);
  }
  process.exit(protocol.exitStatus(report));
}

function crashed(msg) {
  log(`crashed: ${msg}`);
  finish({ kind: "crashed", message: oneLine(msg) });
}

process.on("uncaughtException", (e) => crashed(`uncaught exception: ${e?.stack ?? e}`));
process.on("unhandledRejection", (e) => crashed(`unhandled rejection: ${e?.stack ?? e}`));

// Copies a host directory's contents into a sandbox-files map at the guest path (the sdk has no
// host mounts; see the header), seeing what wasmer's host filesystem lets a guest see there:
//   * a symlink is followed only when its real path stays inside the mapped directory (wasmer
//     resolves links inside the guest's namespace, so one that leads out gives ENOENT); one that
//     leads out, dangles, or points at a directory being copied (a loop) is left out;
//   * FIFOs, sockets and devices are left out (a copy cannot be one), and so is an entry that
//     cannot be read;
//   * at most `budget.left` bytes in all (the sdk holds every file in memory).
// Returns the guest path of an empty directory (which the sdk cannot create), or null.
function collectDir(root, hostDir, guestDir, files, budget, ancestors = new Set()) {
  ancestors.add(hostDir);
  let entries;
  try {
    entries = fs.readdirSync(hostDir, { withFileTypes: true });
  } catch (e) {
    log(`left out ${hostDir}: ${e.message}`);
    ancestors.delete(hostDir);
    return null;
  }
  if (entries.length === 0) return guestDir;
  try {
    for (const ent of entries) {
      let h = path.join(hostDir, ent.name);
      const g = path.posix.join(guestDir, ent.name);
      let st = fs.lstatSync(h);
      if (st.isSymbolicLink()) {
        let real;
        try {
          real = fs.realpathSync(h);
        } catch (e) {
          log(`left out the dangling symlink ${h}`);
          continue;
        }
        if (real !== root && !real.startsWith(root + path.sep)) {
          log(`left out the symlink ${h}: it leads out of ${root}`);
          continue;
        }
        h = real;
        st = fs.statSync(h);
      }
      if (st.isDirectory()) {
        if (ancestors.has(h)) {
          log(`left out ${path.join(hostDir, ent.name)}: a link back to a directory being copied`);
          continue;
        }
        const empty = collectDir(root, h, g, files, budget, ancestors);
        if (empty) return empty;
      } else if (st.isFile()) {
        budget.left -= st.size;
        if (budget.left < 0) throw new RangeError(`more than ${budget.total} bytes of files`);
        try {
          files[g] = new Uint8Array(fs.readFileSync(h));
        } catch (e) {
          log(`left out ${h}: ${e.message}`);
        }
      } else {
        log(`left out ${h}: not a regular file or directory`);
      }
    }
  } finally {
    ancestors.delete(hostDir);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Trap classification (documented in docs/runtimes/sdk.md).
//
// The sdk (wasmer-wasix 0.704 compiled to wasm, running the guest on V8) reports traps two ways:
//  * a trap on the guest's main thread makes `Process.wait()` reject with a WasmerError
//    "command execution failed: RuntimeError: js: unreachable" (the JS error's message);
//  * a trap in a spawned thread ends the process with status 129 (wasmer-wasix's code for a
//    thread that failed with a runtime error), `reason` "exited", and nothing on stderr: the same
//    as a guest's own exit(129).
// To tell the second from a real exit(129), every sdk worker runs worker-shim.mjs first, which
// records the first WebAssembly.RuntimeError (or V8 stack-overflow RangeError) that leaves a
// guest entry point into a buffer shared with this thread (protocol.TrapRecord). A run whose
// guest ended while that buffer holds a trap is `trapped`, with that trap's message.
const TRAP_MESSAGE = /(?:RuntimeError: )?(?:js: )?(.*)/;

function trapMessage(text) {
  const line = String(text ?? "").split("\n").find((l) => /RuntimeError|call stack/i.test(l)) ?? String(text ?? "");
  const m = /RuntimeError: (?:js: )?(.*)/.exec(line);
  return oneLine(m ? m[1] : TRAP_MESSAGE.exec(line)[1]);
}

const traps = new protocol.FirstRecord();
// What the guest passed to proc_exit, noted by the workers (see worker-shim.mjs).
const exits = new protocol.FirstRecord();

function recordedTrap() {
  const message = traps.read();
  if (message === null) return null;
  log(`guest trap recorded by a worker: ${message}`);
  return oneLine(message);
}

// Every Worker the sdk starts (node:worker_threads, imported by the sdk) runs worker-shim.mjs
// first, and its console output (the sdk's own diagnostics) goes to the log, never to the
// guest's stdout/stderr.
function installWorkerHooks() {
  const require = createRequire(import.meta.url);
  const wt = require("node:worker_threads");
  const Base = wt.Worker;
  const shim = new URL("./worker-shim.mjs", import.meta.url);
  class HarnessWorker extends Base {
    constructor(url, options = {}) {
      super(shim, {
        ...options,
        stdout: true,
        stderr: true,
        workerData: {
          __wasixHarness: { trapBuffer: traps.buffer, exitBuffer: exits.buffer, workerUrl: String(url) },
        },
      });
      for (const s of [this.stdout, this.stderr])
        s.on("data", (d) => log(`sdk worker: ${oneLine(d.toString())}`));
    }
  }
  wt.Worker = HarnessWorker;
  syncBuiltinESMExports();
  for (const k of ["log", "info", "warn", "error", "debug", "trace"])
    console[k] = (...a) => log(`sdk: ${oneLine(a.map((x) => (x instanceof Error ? x.stack : String(x))).join(" "))}`);
}

async function main() {
  if (process.argv.length > 2) {
    process.exit(2);
  }
  let run, bytes;
  try {
    ({ run, module: bytes, channel } = protocol.connect());
  } catch (e) {
    // no channel: crash without an outcome (the parent says "crashed", with this log line)
    log(`cannot read the run: ${e?.message ?? e}`);
    process.exit(protocol.status.INTERNAL);
  }
  log(`run: ${JSON.stringify({ module: run.module, args: run.args, memory_limit: run.memory_limit, dirs: run.dirs })}`);
  // The module was checked by the harness before this process started (PROTOCOL.md): valid,
  // a `_start`, a memory, imports the sdk provides, features this runtime can load.

  // --- what the sdk cannot do -----------------------------------------------------------------
  const GIB = 1073741824;
  if (run.memory_limit != null && run.memory_limit < GIB)
    finish({
      kind: "unsupported",
      message: `not supported on sdk: a memory limit below 1 GiB (${run.memory_limit} bytes requested)`,
    });

  const files = {};
  // The copies live in memory, so they count against the run's memory budget.
  const total = run.memory_limit ?? GIB;
  const budget = { total, left: total };
  for (const d of run.dirs ?? []) {
    let empty;
    try {
      const guest = path.posix.normalize(d.guest);
      if (!guest.startsWith("/")) throw new Error(`guest path ${d.guest} must be an absolute path`);
      const root = fs.realpathSync(d.host);
      empty = collectDir(root, root, guest, files, budget);
    } catch (e) {
      finish({ kind: "unsupported", message: `not supported on sdk: cannot copy ${d.host} into the sandbox (${oneLine(e.message)})` });
    }
    if (empty)
      finish({
        kind: "unsupported",
        message: `not supported on sdk: a mapped directory that is empty (${empty}); the sdk cannot map host directories, and its package files cannot make an empty directory`,
      });
  }

  // --- the sdk ---------------------------------------------------------------------------------
  installWorkerHooks();
  const { Wasmer } = await import("@wasmer/sdk/node");
  const wasmer = new Wasmer({ cache: false });
  let pkg;
  try {
    await wasmer.ready();
    pkg = await wasmer.packages.create({ modules: { main: bytes }, commands: { main: { module: "main" } }, files });
  } catch (e) {
    log(`package load failed: ${e?.stack ?? e}`);
    finish({ kind: "not_started", status: protocol.status.UNAVAILABLE, message: `the sdk cannot load the module: ${oneLine(e?.message ?? e)}` });
  }
  const env = Object.fromEntries(run.env ?? []);
  let sandbox;
  try {
    sandbox = await wasmer.sandboxes.create({ packages: [pkg], env, network: { mode: "disabled" } });
  } catch (e) {
    log(`sandbox setup failed: ${e?.stack ?? e}`);
    finish({ kind: "crashed", message: `sdk sandbox setup failed: ${oneLine(e?.message ?? e)}` });
  }

  // `started` (PROTOCOL.md): the module is read, validated and compiled (the sdk compiles it in
  // packages.create), and the guest's first instruction is next. From here the parent's guest
  // timeout runs.
  channel.started();

  let proc;
  try {
    // no timeoutMs: the parent owns the clock. Streams are piped, so no output limit applies.
    proc = await sandbox.command(pkg, run.args ?? [], { env }).spawn({
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (e) {
    log(`spawn failed: ${e?.stack ?? e}`);
    finish({ kind: "not_started", status: protocol.status.UNAVAILABLE, message: `the sdk cannot run the module: ${oneLine(e?.message ?? e)}` });
  }
  log(`spawned pid ${proc.id}`);

  // stdin: this process's own stdin, until EOF; a stdin that stays open keeps the guest's reads
  // blocked (the sdk's pipe blocks until data or close).
  let stdinChain = Promise.resolve();
  process.stdin.on("data", (chunk) => {
    const data = new Uint8Array(chunk);
    stdinChain = stdinChain.then(() => proc.stdin.write(data)).catch((e) => log(`stdin write: ${e?.message ?? e}`));
  });
  process.stdin.on("end", () => {
    stdinChain = stdinChain.then(() => proc.stdin.close()).catch((e) => log(`stdin close: ${e?.message ?? e}`));
  });
  process.stdin.on("error", (e) => {
    log(`stdin error: ${e?.message ?? e}`);
    stdinChain = stdinChain.then(() => proc.stdin.close()).catch(() => {});
  });

  // stdout/stderr: streamed as they arrive (fd writes are synchronous for files and pipes).
  const pump = async (stream, fd) => {
    for await (const chunk of stream) writeAll(fd, chunk);
  };
  const outDone = pump(proc.stdout, 1).catch((e) => log(`stdout pump: ${e?.message ?? e}`));
  const errDone = pump(proc.stderr, 2).catch((e) => log(`stderr pump: ${e?.message ?? e}`));

  let output;
  try {
    output = await proc.wait({ check: false });
  } catch (e) {
    log(`wait failed: ${e?.stack ?? e}`);
    const msg = String(e?.message ?? e);
    if (/RuntimeError|call stack/i.test(msg)) finish({ kind: "trapped", message: trapMessage(msg) });
    const trap = recordedTrap();
    if (trap) finish({ kind: "trapped", message: trap });
    finish({ kind: "crashed", message: `the sdk failed while running the guest: ${oneLine(msg)}` });
  }
  // Drain what the guest wrote before it ended (bounded: a stream whose writer is a stuck
  // worker must not keep us here).
  await Promise.race([Promise.all([outDone, errDone]), new Promise((r) => setTimeout(r, 200))]);
  log(`ended: reason=${output.reason} exitCode=${output.exitCode}`);
  finish(classify(output));
}

function classify(output) {
  if (output.reason === "timeout")
    return { kind: "crashed", message: "the sdk reported its own timeout, but the runner set none" };
  if (output.reason === "terminated")
    return { kind: "crashed", message: `the sdk terminated the guest (status ${output.exitCode})` };
  const trap = recordedTrap();
  if (trap) return { kind: "trapped", message: trap };
  const passed = exits.read();
  return { kind: "exited", code: protocol.fullExitStatus(output.exitCode, passed === null ? null : Number(passed)) };
}

function writeAll(fd, chunk) {
  let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  while (buf.length > 0) {
    try {
      const n = fs.writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (e) {
      if (e.code === "EAGAIN") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (e.code === "EPIPE") return;
      throw e;
    }
  }
}

main().catch((e) => crashed(e?.stack ?? e));
