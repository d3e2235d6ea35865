// wasix-harness runner for @wasmer/sdk in a headless browser: `node run.mjs chromium|firefox`,
// started by the harness with the sandbox protocol's two descriptors (../PROTOCOL.md;
// ./protocol.mjs is ../js/protocol.mjs, installed beside this file).
//
// Starts the browser (launch.mjs), reads the run and the module's bytes, runs the module in a
// fresh page (session.mjs, page/driver.mjs), streams the guest's stdout/stderr to this
// process's stdout/stderr as they arrive, feeds this process's stdin to the guest, sends
// `started` and exactly one outcome, and ends this process (and the browser) at once.
//
// Nothing of the runner's own goes to stdout/stderr: diagnostics (the browser's own output
// among them) go to the protocol's log. Time belongs to the parent: nothing here times out a
// guest (the parent kills this process group, the browser included).
//
// What the sdk cannot do in a browser is what it cannot do in Node (../sdk/run.mjs): a memory
// limit below 1 GiB is `unsupported`; mapped directories are copied in (sandbox-files.mjs),
// and an empty one is `unsupported`.
import fs from "node:fs";

import * as protocol from "./protocol.mjs";
import { collectDirs } from "./sandbox-files.mjs";
import { BROWSERS } from "./launch.mjs";
import { BrowserSession } from "./session.mjs";

const kind = process.argv[2];
let channel = null;
let session = null;

function log(msg) {
  protocol.log(`${kind}-runner: ${msg}`);
}

function oneLine(s) {
  return String(s ?? "").replace(/\s+/g, " ").trim().slice(0, 500);
}

// Send the outcome and end this process at once: the browser is killed, not closed.
function finish(report) {
  if (channel) {
    channel.outcome(report);
    log(`outcome: ${JSON.stringify(report)}`);
  }
  const status = protocol.exitStatus(report);
  const end = () => process.exit(status);
  if (session) session.close().then(end, end);
  else end();
  setTimeout(end, 2000).unref();
}

function crashed(msg) {
  log(`crashed: ${msg}`);
  finish({ kind: "crashed", message: oneLine(msg) });
}

process.on("uncaughtException", (e) => crashed(`uncaught exception: ${e?.stack ?? e}`));
process.on("unhandledRejection", (e) => crashed(`unhandled rejection: ${e?.stack ?? e}`));

async function main() {
  if (process.argv.length !== 3 || !BROWSERS[kind]) process.exit(2);
  let run, bytes;
  try {
    ({ run, module: bytes, channel } = protocol.connect());
  } catch (e) {
    log(`cannot read the run: ${e?.message ?? e}`);
    process.exit(protocol.status.INTERNAL);
  }
  log(`run: ${JSON.stringify({ module: run.module, args: run.args, memory_limit: run.memory_limit, dirs: run.dirs })}`);

  const GIB = 1073741824;
  if (run.memory_limit != null && run.memory_limit < GIB)
    return finish({
      kind: "unsupported",
      message: `not supported on ${kind}: a memory limit below 1 GiB (${run.memory_limit} bytes requested)`,
    });
  const copied = collectDirs(run.dirs ?? [], run.memory_limit ?? GIB, log);
  if (copied.unsupported) return finish({ kind: "unsupported", message: `not supported on ${kind}: ${copied.unsupported}` });

  try {
    session = await BrowserSession.start(kind, { log });
  } catch (e) {
    if (e.missing) return finish({ kind: "not_started", status: protocol.status.UNAVAILABLE, message: oneLine(e.message) });
    return crashed(`cannot start ${kind}: ${e?.message ?? e}`);
  }
  const handle = session.run(
    {
      args: run.args ?? [],
      env: run.env ?? [],
      files: Object.entries(copied.files).map(([path, bytes]) => ({ path, bytes })),
      module: bytes,
    },
    {
      started: () => channel.started(),
      stdout: (b) => writeAll(1, b),
      stderr: (b) => writeAll(2, b),
    },
  );
  process.stdin.on("data", (chunk) => handle.writeStdin(new Uint8Array(chunk)));
  process.stdin.on("end", () => handle.endStdin());
  process.stdin.on("error", (e) => {
    log(`stdin error: ${e?.message ?? e}`);
    handle.endStdin();
  });
  finish(await handle.done);
}

function writeAll(fd, chunk) {
  let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(fs.writeSync(fd, buf));
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
