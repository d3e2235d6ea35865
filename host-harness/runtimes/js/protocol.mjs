// The sandbox protocol (../PROTOCOL.md, version 3) for runners written in JavaScript: the one
// implementation that the sdk runner (../sdk/run.mjs) and the browser runner
// (../browser/run.mjs) use. The Rust runners share the crate host-harness/protocol instead;
// both follow PROTOCOL.md.
//
// The child inherits two Unix stream sockets: descriptor 3 (runs and their stdin in; `started`,
// warnings, the guest's stdout/stderr and outcomes out) and descriptor 4 (the runner's own
// diagnostics). Every message is one line of JSON, followed by as many raw bytes as its
// `payload` says. A JS runner serves many runs, one after another, with the guest's streams on
// the channel (`"stdio": "channel"`): `serve()` reads, a `RunChannel` answers. Writes are
// synchronous: a message is out, whole, before the next one starts, and before the process
// ends.
import fs from "node:fs";
import net from "node:net";

export const VERSION = 3;
export const CONTROL_FD = 3;
export const LOG_FD = 4;
const MAX_LINE = 4 << 20;
const MAX_PAYLOAD = 1 << 30;

// The statuses of a guest that never started, and the ones a runner ends with.
export const status = Object.freeze({
  INVALID_MODULE: 65,
  NO_INPUT: 66,
  UNAVAILABLE: 69,
  INTERNAL: 70,
  TRAPPED: 132,
});

// A blocking wait without a busy loop, for a descriptor that happens to be non-blocking.
function pause(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function writeAllSync(fd, buf) {
  while (buf.length > 0) {
    try {
      buf = buf.subarray(fs.writeSync(fd, buf));
    } catch (e) {
      if (e.code === "EAGAIN") pause(2);
      else if (e.code !== "EINTR") throw e;
    }
  }
}

// One message and its payload, written whole.
function writeFrame(message, payload) {
  const line = Buffer.from(JSON.stringify(payload ? { ...message, payload: payload.byteLength } : message) + "\n");
  writeAllSync(CONTROL_FD, payload && payload.byteLength > 0 ? Buffer.concat([line, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)]) : line);
}

// A runner's end of one run: what it says about the run, and the guest's stdin as it arrives.
// Only the first outcome is sent; nothing of the run is sent after it.
export class RunChannel {
  constructor(id) {
    this.id = id;
    this.closed = false;
    this.stdinQueue = [];
    this.stdinConsumer = null;
  }

  send(message, payload) {
    if (this.closed) return false;
    try {
      writeFrame({ ...message, id: this.id }, payload);
      return true;
    } catch (e) {
      log(`cannot send ${message.type}: ${e.message}`);
      return false;
    }
  }

  started() {
    return this.send({ type: "started" });
  }

  warning(message) {
    return this.send({ type: "warning", message: String(message) });
  }

  stdout(bytes) {
    return bytes.byteLength === 0 || this.send({ type: "stdout" }, bytes);
  }

  stderr(bytes) {
    return bytes.byteLength === 0 || this.send({ type: "stderr" }, bytes);
  }

  outcome(report) {
    const sent = this.send({ type: "outcome", outcome: report });
    this.closed = true;
    return sent;
  }

  // `consumer(bytes)` gets the guest's stdin in order, and `consumer(null)` at its end.
  stdin(consumer) {
    this.stdinConsumer = consumer;
    for (const chunk of this.stdinQueue.splice(0)) consumer(chunk);
  }

  pushStdin(chunk) {
    if (this.stdinConsumer) this.stdinConsumer(chunk);
    else this.stdinQueue.push(chunk);
  }
}

// Serves the runs the parent sends on descriptor 3, one at a time: `handle(run, module,
// channel)` is called for each (`module`: the module's bytes, a Uint8Array) and returns a
// promise that settles once the run's outcome is sent; the next run waits for it. Stdin
// messages go to their run's channel (buffered until the run is handled; dropped once its
// outcome is sent). The end of the channel (the parent closed it) calls `onEnd()`.
export function serve(handle, { onEnd = () => process.exit(0) } = {}) {
  const socket = new net.Socket({ fd: CONTROL_FD, readable: true, writable: false, allowHalfOpen: true });
  const runs = [];
  const channels = new Map();
  let buf = Buffer.alloc(0);
  let pending = null; // a message waiting for its payload
  let busy = false;

  const next = async () => {
    if (busy) return;
    busy = true;
    while (runs.length > 0) {
      const { run, module, channel } = runs.shift();
      try {
        await handle(run, module, channel);
      } catch (e) {
        log(`run ${run.id}: ${e?.stack ?? e}`);
        channel.outcome({ kind: "crashed", message: oneLine(e?.message ?? e) });
      }
      channels.delete(run.id);
    }
    busy = false;
  };

  const dispatch = (message, payload) => {
    switch (message.type) {
      case "run": {
        if (message.protocol !== VERSION) throw new Error(`sandbox protocol: version ${message.protocol}, this runner speaks ${VERSION}`);
        if (message.stdio !== "channel")
          throw new Error("sandbox protocol: a run on the runner's own descriptors, and this runner serves runs with their streams on the channel");
        const channel = new RunChannel(message.id);
        channels.set(message.id, channel);
        runs.push({ run: message, module: new Uint8Array(payload), channel });
        next();
        break;
      }
      case "stdin":
        channels.get(message.id)?.pushStdin(new Uint8Array(payload));
        break;
      case "stdin_end":
        channels.get(message.id)?.pushStdin(null);
        break;
      default:
        // a message of a later version
        break;
    }
  };

  socket.on("data", (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    try {
      for (;;) {
        if (!pending) {
          const at = buf.indexOf(10);
          if (at < 0) {
            if (buf.length > MAX_LINE) throw new Error(`sandbox protocol: a message longer than ${MAX_LINE} bytes`);
            return;
          }
          const message = JSON.parse(buf.subarray(0, at).toString("utf8"));
          buf = buf.subarray(at + 1);
          const size = message.payload ?? 0;
          if (!Number.isSafeInteger(size) || size < 0 || size > MAX_PAYLOAD)
            throw new Error(`sandbox protocol: a payload of ${size} bytes`);
          pending = { message, size };
        }
        if (buf.length < pending.size) return;
        const payload = Buffer.from(buf.subarray(0, pending.size));
        buf = buf.subarray(pending.size);
        const { message } = pending;
        pending = null;
        dispatch(message, payload);
      }
    } catch (e) {
      log(`${e.message}`);
      socket.destroy();
      process.exit(status.INTERNAL);
    }
  });
  socket.on("end", () => onEnd());
  socket.on("error", (e) => {
    log(`control channel: ${e.message}`);
    onEnd();
  });
}

function oneLine(s) {
  return String(s ?? "").replace(/\s+/g, " ").trim().slice(0, 500);
}

// One line of the runner's own diagnostics (never the guest's stdout or stderr).
const DEBUG_LOG = process.env.WASIX_HARNESS_RUNNER_LOG;
export function log(line) {
  try {
    const text = `${new Date().toISOString()} ${process.pid} ${line}\n`;
    if (DEBUG_LOG) fs.appendFileSync(DEBUG_LOG, text);
    writeAllSync(LOG_FD, Buffer.from(text));
  } catch {
    // nowhere else to say it
  }
}

// The runner's own exit status after an outcome (informational: the parent trusts the outcome).
export function exitStatus(report) {
  switch (report.kind) {
    case "exited":
      return report.code & 0xff;
    case "trapped":
      return status.TRAPPED;
    case "not_started":
      return report.status;
    case "unsupported":
      return status.UNAVAILABLE;
    default:
      return status.INTERNAL;
  }
}

// Shared by a runner and the workers it starts: the first text any of them records (a trap's
// message, the status a guest passed to proc_exit), without a file (a guest's workers run in
// this process; the main thread reads it synchronously). `reset()` empties it for the next
// run, once no guest code runs.
export class FirstRecord {
  constructor(buffer = new SharedArrayBuffer(8 + 4096)) {
    this.buffer = buffer;
    // [0]: 0 empty, 1 being written, 2 written; [1]: length
    this.state = new Int32Array(buffer, 0, 2);
    this.bytes = new Uint8Array(buffer, 8);
  }

  record(message) {
    if (Atomics.compareExchange(this.state, 0, 0, 1) !== 0) return;
    const text = new TextEncoder().encode(String(message)).subarray(0, this.bytes.length);
    this.bytes.set(text);
    Atomics.store(this.state, 1, text.length);
    Atomics.store(this.state, 0, 2);
  }

  read() {
    for (let i = 0; i < 100 && Atomics.load(this.state, 0) === 1; i++) pause(1);
    if (Atomics.load(this.state, 0) !== 2) return null;
    const length = Atomics.load(this.state, 1);
    return new TextDecoder().decode(this.bytes.slice(0, length));
  }

  reset() {
    Atomics.store(this.state, 1, 0);
    Atomics.store(this.state, 0, 0);
  }
}

// How many calls into guest code are in progress, in all of an sdk instance's workers: the
// worker shim counts every entry (`Reflect.apply`, through which the sdk's glue calls a guest's
// `_start` and `wasi_thread_start`) and every return or throw. Zero after a run's end means no
// guest thread of it is still running, so the instance can serve another run.
export class GuestEntries {
  constructor(buffer = new SharedArrayBuffer(4)) {
    this.buffer = buffer;
    this.count = new Int32Array(buffer);
  }

  now() {
    return Atomics.load(this.count, 0);
  }

  // Resolves with whether the count reached zero within `graceMs`.
  async drained(graceMs) {
    const until = Date.now() + graceMs;
    while (this.now() !== 0) {
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 2));
    }
    return true;
  }
}

// The value wasmer-wasix keeps of an exit status `passed` (`(passed % 256) as u16`): it reports
// proc_exit(256) as 0 and proc_exit(-1) as 65535, so a runner that saw what the guest passed
// reports that instead, when `reported` is its remainder.
export function fullExitStatus(reported, passed) {
  if (passed === null || !Number.isInteger(passed)) return reported;
  return ((passed % 256) & 0xffff) === reported ? passed : reported;
}
