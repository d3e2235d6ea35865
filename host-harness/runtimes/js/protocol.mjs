// The sandbox protocol (../PROTOCOL.md, version 2) for runners written in JavaScript: the one
// implementation that run.mjs (the sdk in Node) and any later JS runner use. The Rust runners
// share the crate host-harness/protocol instead; both follow PROTOCOL.md.
//
// The child inherits two Unix stream sockets: descriptor 3 (the run and the module's bytes in;
// `started`, warnings and the outcome out) and descriptor 4 (the runner's own diagnostics).
// Every message is one line of JSON, followed by as many raw bytes as its `payload` says.
// Everything here is synchronous: a runner ends its process right after its outcome, and the
// bytes must be out by then.
import fs from "node:fs";

export const VERSION = 2;
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

class Reader {
  constructor(fd) {
    this.fd = fd;
    this.buf = Buffer.alloc(0);
  }

  fill() {
    const chunk = Buffer.alloc(1 << 16);
    for (;;) {
      try {
        const n = fs.readSync(this.fd, chunk, 0, chunk.length, null);
        if (n === 0) throw new Error("sandbox protocol: the parent closed the channel");
        this.buf = Buffer.concat([this.buf, chunk.subarray(0, n)]);
        return;
      } catch (e) {
        if (e.code === "EAGAIN") pause(2);
        else if (e.code !== "EINTR") throw e;
      }
    }
  }

  line() {
    for (;;) {
      const at = this.buf.indexOf(10);
      if (at >= 0) {
        const text = this.buf.subarray(0, at).toString("utf8");
        this.buf = this.buf.subarray(at + 1);
        return text;
      }
      if (this.buf.length > MAX_LINE) throw new Error(`sandbox protocol: a message longer than ${MAX_LINE} bytes`);
      this.fill();
    }
  }

  exactly(n) {
    while (this.buf.length < n) this.fill();
    const bytes = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return new Uint8Array(bytes);
  }
}

function writeAllSync(fd, bytes) {
  let buf = Buffer.from(bytes);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(fs.writeSync(fd, buf));
    } catch (e) {
      if (e.code === "EAGAIN") pause(2);
      else if (e.code !== "EINTR") throw e;
    }
  }
}

// A runner's end of the control channel: writes are whole lines, and only the first outcome
// is sent (later messages are dropped).
export class Channel {
  constructor(id) {
    this.id = id;
    this.closed = false;
  }

  send(message) {
    if (this.closed) return false;
    try {
      writeAllSync(CONTROL_FD, JSON.stringify({ ...message, id: this.id }) + "\n");
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

  outcome(report) {
    const sent = this.send({ type: "outcome", outcome: report });
    this.closed = true;
    return sent;
  }
}

// Reads the run and the module's bytes from descriptor 3: { run, module, channel }.
export function connect() {
  const reader = new Reader(CONTROL_FD);
  const message = JSON.parse(reader.line());
  if (message.type !== "run") throw new Error(`sandbox protocol: expected a run, got ${message.type}`);
  if (message.protocol !== VERSION)
    throw new Error(`sandbox protocol: version ${message.protocol}, this runner speaks ${VERSION}`);
  const size = message.payload ?? 0;
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_PAYLOAD)
    throw new Error(`sandbox protocol: a payload of ${size} bytes`);
  const module = reader.exactly(size);
  return { run: message, module, channel: new Channel(message.id) };
}

// One line of the runner's own diagnostics (never the guest's stdout or stderr).
export function log(line) {
  try {
    writeAllSync(LOG_FD, `${new Date().toISOString()} ${line}\n`);
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
// this process; the main thread reads it synchronously).
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
}

// The value wasmer-wasix keeps of an exit status `passed` (`(passed % 256) as u16`): it reports
// proc_exit(256) as 0 and proc_exit(-1) as 65535, so a runner that saw what the guest passed
// reports that instead, when `reported` is its remainder.
export function fullExitStatus(reported, passed) {
  if (passed === null || !Number.isInteger(passed)) return reported;
  return ((passed % 256) & 0xffff) === reported ? passed : reported;
}
