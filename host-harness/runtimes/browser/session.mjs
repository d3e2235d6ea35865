// One browser serving many runs.
//
// A run happens in a page (its own @wasmer/sdk instance), with an sdk package and sandbox of
// its own (page/driver.mjs). After a run the page serves the next run only if every call into
// that run's guest code had returned (`settled` clean): a guest thread still spinning after
// its process ended holds one of the sdk's pooled workers, and was seen to make the next run
// on that instance hang. Otherwise the page is closed, and with it every worker it started.
// One spare page (loaded, its sdk ready, its warm-up module run) is kept ready in the
// background, so that a closed page does not cost the next run the page's start-up.
//
// session.run(request, io) starts one run and returns { done, writeStdin, endStdin }:
//   request: { args, env, files: [{path, bytes}], module (Uint8Array) }
//   io: { started(), warning(text), stdout(bytes), stderr(bytes) }
//   done: a promise of the outcome, in the sandbox protocol's forms (../PROTOCOL.md).
// Runs are served one at a time: start the next when `done` has resolved.
import { launch } from "./launch.mjs";
import { fullExitStatus } from "./protocol.mjs";
import { Server } from "./server.mjs";

const TRAP_TEXT = /RuntimeError|call stack|too much recursion|out of bounds|unreachable/i;
// How long a page may take to load the sdk and run its warm-up module. Past it the page is
// discarded and the run gets another (once): a page that never got ready was seen, once in a
// suite run on a loaded machine, to leave a run without `started` until the compile limit.
const READY_LIMIT_MS = 30000;
const READY_TRIES = 2;
// How long a page may take to close before the browser is considered stuck.
const CLOSE_LIMIT_MS = 5000;
// How long after a run's outcome a page may take to say whether it is clean (it waits 250 ms
// at most itself); past it the page counts as not clean.
const SETTLE_LIMIT_MS = 5000;

function oneLine(s) {
  return String(s ?? "").replace(/\s+/g, " ").trim().slice(0, 500);
}

// The one line of a trap, from a rejected wait()'s message ("command execution failed:
// RuntimeError: js: memory access out of bounds", ...).
export function trapMessage(text) {
  const line = String(text ?? "").split("\n").find((l) => TRAP_TEXT.test(l)) ?? String(text ?? "");
  const m = /(?:RuntimeError|InternalError|RangeError): (?:js: )?(.*)/.exec(line);
  return oneLine(m ? m[1] : line);
}

let pages = 0;

// One page and its socket: an sdk instance that serves runs.
class Instance {
  constructor(session) {
    this.session = session;
    this.n = ++pages;
    this.log = (m) => session.log(`page ${this.n}: ${m}`);
    this.socket = null;
    this.page = null;
    this.current = null; // the run being served: { id, onMessage, onOutput, onTrap, onGone }
    this.gone = null; // why the page can no longer serve
    let ready, failed;
    this.isReady = false;
    this.ready = new Promise((res, rej) => ((ready = res), (failed = rej)));
    this.ready.then(() => (this.isReady = true), () => {});
    this.failReady = failed;
    const limit = setTimeout(() => this.lost(`the page was not ready after ${READY_LIMIT_MS / 1000} s`), READY_LIMIT_MS);
    this.ready.finally(() => clearTimeout(limit)).catch(() => {});
    const { token, url } = session.server.addRun({
      onTrap: (rec) => {
        this.log(`trap recorded by a worker: ${JSON.stringify(rec)}`);
        this.current?.onTrap(rec);
      },
      onSocket: (ws) => {
        this.socket = ws;
        ws.on("message", (data, isBinary) => {
          if (!isBinary) {
            let msg;
            try {
              msg = JSON.parse(data.toString());
            } catch {
              return;
            }
            if (msg.type === "ready") return ready();
            if (msg.type === "failed" && msg.id === undefined) {
              failed(new Error(`the page cannot start the sdk: ${msg.message}`));
              return this.lost(`the page cannot start the sdk: ${msg.message}`);
            }
            if (this.current && msg.id === this.current.id) this.current.onMessage(msg);
          } else this.current?.onOutput(new Uint8Array(data));
        });
        ws.on("close", () => this.lost(`the ${session.kind} page went away`));
      },
    });
    this.token = token;
    (async () => {
      // A page of the default context: it shares nothing with other pages that a guest can
      // reach (the sdk has no storage with `cache: false`; a guest sees only its sandbox), and
      // it shares the HTTP cache, so the sdk's compiled code is not made again for every page.
      const page = await session.handle.browser.newPage();
      this.page = page;
      if (this.gone) return this.discard();
      page.on("console", (m) => this.log(`console.${m.type()}: ${oneLine(m.text())}`));
      page.on("pageerror", (e) => this.log(`page error: ${oneLine(e?.message ?? e)}`));
      page.on("error", (e) => this.lost(`the ${session.kind} page crashed: ${oneLine(e?.message ?? e)}`));
      await page.goto(url, { waitUntil: "domcontentloaded" });
    })().catch((e) => {
      failed(e);
      this.lost(`cannot open a ${session.kind} page: ${oneLine(e?.message ?? e)}`);
    });
  }

  send(data) {
    try {
      this.socket?.send(data);
    } catch (e) {
      this.log(`send failed: ${e.message}`);
    }
  }

  lost(why) {
    if (this.gone) return;
    this.gone = why;
    this.log(`lost: ${why}`);
    this.failReady(new Error(why));
    if (this.isReady) this.current?.onGone(why);
    this.discard();
  }

  // Closes the page (and with it its workers and their memory).
  discard() {
    this.gone ??= "discarded";
    if (this.discarding) return this.discarding;
    this.session.server.removeRun(this.token);
    try {
      this.socket?.terminate();
    } catch {}
    this.discarding = (async () => {
      const page = this.page;
      if (!page) return;
      this.page = null;
      const closing = page.close().then(() => true, (e) => {
        this.log(`closing the page failed: ${e.message}`);
        return false;
      });
      const ok = await Promise.race([closing, new Promise((r) => setTimeout(() => r(false), CLOSE_LIMIT_MS))]);
      if (!ok) this.session.broken ??= "a page could not be closed";
    })();
    return this.discarding;
  }
}

export class BrowserSession {
  static async start(kind, { log = () => {} } = {}) {
    const server = await new Server({ log }).listen();
    let handle;
    try {
      handle = await launch(kind, { log });
    } catch (e) {
      server.close();
      throw e;
    }
    return new BrowserSession(kind, server, handle, log);
  }

  constructor(kind, server, handle, log) {
    this.kind = kind;
    this.server = server;
    this.handle = handle;
    this.log = log;
    this.broken = null;
    this.runs = 0;
    this.current = null; // a page that served a run and is clean
    this.spare = null; // a page being prepared
    this.settling = null; // the last run's page, until it says whether it is clean
    this.prepare();
  }

  get version() {
    return this.handle.version;
  }

  // Makes sure a spare page is on its way.
  prepare() {
    if (!this.broken && (!this.spare || this.spare.gone)) this.spare = new Instance(this);
  }

  // The page the next run uses: the clean one that served the last run, else the spare.
  take() {
    let instance = this.current;
    this.current = null;
    if (!instance || instance.gone) {
      instance = this.spare && !this.spare.gone ? this.spare : new Instance(this);
      this.spare = null;
    }
    return instance;
  }

  async close() {
    await Promise.all([this.current?.discard(), this.spare?.discard()]);
    this.server.close();
    await this.handle.close();
  }

  run(request, io) {
    const id = ++this.runs;
    const log = (m) => this.log(`run ${id}: ${m}`);
    let instance = null;
    let settle;
    const done = new Promise((r) => (settle = r));
    let outcome = null;
    let trap = null;
    let stdinQueue = [];
    let stdinEnded = false;
    let settled;
    const clean = new Promise((r) => (settled = r));

    const finish = (result) => {
      if (outcome) return;
      outcome = result;
      log(`outcome ${JSON.stringify(result)}`);
      settle(result);
    };
    // After the outcome: keep the page for the next run if it is clean, else close it.
    const release = () => {
      if (!instance) return;
      const late = new Promise((r) => setTimeout(() => r(false), SETTLE_LIMIT_MS).unref());
      this.settling = Promise.race([clean, late]).then((ok) => {
        if (instance.current?.id === id) instance.current = null;
        if (ok && !instance.gone && !this.broken) this.current = instance;
        else {
          log(`page ${instance.n} closed: ${instance.gone ?? "a call into the guest was still running after its end"}`);
          instance.discard();
        }
        this.prepare();
      });
    };

    const current = {
      id,
      onTrap: (rec) => (trap ??= oneLine(rec.message)),
      onOutput: (bytes) => {
        if (outcome) return;
        if (bytes[0] === 1) io.stdout(bytes.subarray(1));
        else if (bytes[0] === 2) io.stderr(bytes.subarray(1));
      },
      onGone: (why) => {
        settled(false);
        finish({ kind: "crashed", message: `${why} before the guest ended` });
      },
      onMessage: (msg) => {
        switch (msg.type) {
          case "started":
            io.started();
            break;
          case "warning":
            io.warning(String(msg.message ?? ""));
            break;
          case "exit":
            if (msg.reason !== "exited" && msg.reason !== undefined)
              finish({ kind: "crashed", message: `the sdk ended the guest: ${msg.reason} (status ${msg.code})` });
            else if (trap) finish({ kind: "trapped", message: trap });
            else finish({ kind: "exited", code: fullExitStatus(msg.code, msg.passed ?? null) });
            break;
          case "rejected":
            log(`wait() rejected: ${msg.message}`);
            if (trap) finish({ kind: "trapped", message: trap });
            else if (TRAP_TEXT.test(msg.message)) finish({ kind: "trapped", message: trapMessage(msg.message) });
            else finish({ kind: "crashed", message: `the sdk failed while running the guest: ${oneLine(msg.message)}` });
            break;
          case "failed":
            if (msg.stage === "package" || msg.stage === "spawn")
              finish({ kind: "not_started", status: 69, message: `the sdk in ${this.kind} cannot ${msg.stage === "package" ? "load" : "run"} the module: ${msg.message}` });
            else finish({ kind: "crashed", message: `the page failed (${msg.stage}): ${msg.message}` });
            break;
          case "settled":
            settled(msg.clean === true);
            break;
        }
      },
    };

    let sent = false;
    const sendRun = () => {
      if (outcome) return;
      const files = request.files ?? [];
      instance.send(JSON.stringify({
        type: "run",
        id,
        args: request.args ?? [],
        env: request.env ?? [],
        files: files.map((f) => ({ path: f.path, size: f.bytes.length })),
        module_size: request.module.length,
      }));
      instance.send(request.module);
      for (const f of files) instance.send(f.bytes);
      sent = true;
      for (const chunk of stdinQueue) instance.send(chunk);
      stdinQueue = null;
      if (stdinEnded) instance.send(JSON.stringify({ type: "stdin_end" }));
    };
    const start = async (tries) => {
      await this.settling;
      instance = this.take();
      instance.current = current;
      try {
        await instance.ready;
      } catch (e) {
        if (outcome) return;
        instance.current = null;
        if (tries > 1 && !this.broken) {
          log(`retrying on another page: ${oneLine(e?.message ?? e)}`);
          instance.discard();
          this.prepare();
          return start(tries - 1);
        }
        settled(false);
        return finish({ kind: "crashed", message: oneLine(e?.message ?? e) });
      }
      this.prepare();
      sendRun();
    };
    start(READY_TRIES).catch((e) => finish({ kind: "crashed", message: oneLine(e?.message ?? e) }));
    done.then(release);

    return {
      done,
      writeStdin(bytes) {
        if (outcome) return;
        if (sent) instance.send(bytes);
        else stdinQueue.push(bytes);
      },
      endStdin() {
        if (stdinEnded) return;
        stdinEnded = true;
        if (sent && !outcome) instance.send(JSON.stringify({ type: "stdin_end" }));
      },
    };
  }
}
