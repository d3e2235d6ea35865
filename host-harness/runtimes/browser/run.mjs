// wasix-harness runner for @wasmer/sdk in a headless browser: `node run.mjs chromium|firefox`,
// started by the harness with the sandbox protocol's two descriptors (../PROTOCOL.md, version
// 3; ./protocol.mjs is ../js/protocol.mjs, installed beside this file).
//
// Starts the browser at once (launch.mjs), then serves many runs, one after another, with each
// guest's streams on the protocol's channel: each run in a page of that browser
// (session.mjs, page/driver.mjs), which serves the next run only if the run left no guest code
// running. If the browser dies, so does this runner (the parent starts another for the next
// run).
//
// Nothing of the runner's own goes to stdout/stderr: diagnostics (the browser's own output
// among them) go to the protocol's log. Time belongs to the parent: nothing here times out a
// guest (the parent kills this process group, the browser included).
//
// What the sdk cannot do in a browser is what it cannot do in Node (../sdk/run.mjs): a memory
// limit below 1 GiB is `unsupported`; mapped directories are copied in (sandbox-files.mjs),
// and an empty one is `unsupported`.
import * as protocol from "./protocol.mjs";
import { collectDirs } from "./sandbox-files.mjs";
import { BROWSERS } from "./launch.mjs";
import { BrowserSession } from "./session.mjs";

const GIB = 1073741824;
const kind = process.argv[2];

function log(msg) {
  protocol.log(`${kind}-runner: ${msg}`);
}

function oneLine(s) {
  return String(s ?? "").replace(/\s+/g, " ").trim().slice(0, 500);
}

// Ends this runner, and with it the browser (killed, not closed: its process group is ours).
function end(status) {
  log(`ending (${status})`);
  process.exit(status);
}

process.on("uncaughtException", (e) => {
  log(`uncaught exception: ${e?.stack ?? e}`);
  end(protocol.status.INTERNAL);
});
process.on("unhandledRejection", (e) => {
  log(`unhandled rejection: ${e?.stack ?? e}`);
  end(protocol.status.INTERNAL);
});

async function handle(run, module, channel, starting) {
  log(`run ${run.id}: ${JSON.stringify({ module: run.module, args: run.args, memory_limit: run.memory_limit, dirs: run.dirs })}`);
  if (run.memory_limit != null && run.memory_limit < GIB)
    return channel.outcome({
      kind: "unsupported",
      message: `not supported on ${kind}: a memory limit below 1 GiB (${run.memory_limit} bytes requested)`,
    });
  const copied = collectDirs(run.dirs ?? [], run.memory_limit ?? GIB, log);
  if (copied.unsupported) return channel.outcome({ kind: "unsupported", message: `not supported on ${kind}: ${copied.unsupported}` });

  let session;
  try {
    session = await starting;
  } catch (e) {
    if (e.missing) return channel.outcome({ kind: "not_started", status: protocol.status.UNAVAILABLE, message: oneLine(e.message) });
    channel.outcome({ kind: "crashed", message: `cannot start ${kind}: ${oneLine(e?.message ?? e)}` });
    return end(protocol.status.INTERNAL);
  }
  const handle = session.run(
    {
      args: run.args ?? [],
      env: run.env ?? [],
      files: Object.entries(copied.files).map(([path, bytes]) => ({ path, bytes })),
      module,
    },
    {
      started: () => channel.started(),
      warning: (text) => channel.warning(text),
      stdout: (b) => channel.stdout(b),
      stderr: (b) => channel.stderr(b),
    },
  );
  channel.stdin((chunk) => (chunk === null ? handle.endStdin() : handle.writeStdin(chunk)));
  const report = await handle.done;
  channel.outcome(report);
  // A browser that cannot close a page is not trusted with another run.
  if (session.broken) {
    log(`the browser is stuck: ${session.broken}`);
    end(protocol.status.INTERNAL);
  }
}

if (process.argv.length !== 3 || !BROWSERS[kind]) process.exit(2);
// The browser starts while the first run is on its way.
const starting = BrowserSession.start(kind, { log });
starting.then(
  (session) => {
    session.handle.onExit = (how) => {
      log(`${kind} ended (${how})`);
      end(protocol.status.INTERNAL);
    };
  },
  () => {},
);
protocol.serve((run, module, channel) => handle(run, module, channel, starting));
