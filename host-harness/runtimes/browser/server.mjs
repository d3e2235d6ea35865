// The browser runner's web server: 127.0.0.1 only, an ephemeral port, serving nothing but
//   * the @wasmer/sdk package's own files (`/sdk/dist/...`, `/sdk/pkg/...`), which find each
//     other through `import.meta.url`;
//   * the in-page driver (`/h/driver.mjs`, `/h/trap-hook.mjs`), the JS modules it shares with
//     the sdk runner in Node (`/h/guest-hooks.mjs`, `/h/sdk-run.mjs`, `/h/warm-up.mjs`,
//     installed beside this file from ../js/), and the worker wrapper (`/h/worker.mjs`);
//   * per run, a page (`/run/TOKEN/`), its WebSocket (`/run/TOKEN/ws`, which carries the run,
//     the module's bytes and the guest's stdio), and its trap record (`POST /run/TOKEN/trap`).
// TOKEN is 128 random bits, valid only while its run lasts: a page left over from an earlier
// run, or anything else on the machine, gets 404 for every run-specific path.
//
// Every response carries COOP `same-origin` and COEP `require-corp` (and CORP `same-origin`),
// which make the page cross-origin isolated: without SharedArrayBuffer the sdk has no threads.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";

const here = path.dirname(fileURLToPath(import.meta.url));
const PAGE_DIR = path.join(here, "page");
// The modules of ../js/ the page imports (provision installs them beside this file).
const SHARED = new Set(["guest-hooks.mjs", "sdk-run.mjs", "warm-up.mjs"]);
const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html; charset=utf-8" };
const MAX_TRAP_BODY = 64 << 10;

function sdkRoot() {
  // The sdk package installed beside this runner (package-lock.json pins it).
  return path.join(here, "node_modules", "@wasmer", "sdk");
}

export class Server {
  constructor({ log = () => {} } = {}) {
    this.log = log;
    this.runs = new Map(); // token -> { onSocket(ws), onTrap(record) }
    this.files = new Map(); // url path -> { bytes, type } (read once, served from memory)
    this.sdk = fs.realpathSync(sdkRoot());
  }

  async listen() {
    this.http = http.createServer((req, res) => this.#handle(req, res));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 30 });
    this.http.on("upgrade", (req, socket, head) => this.#upgrade(req, socket, head));
    this.http.keepAliveTimeout = 60000;
    await new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(0, "127.0.0.1", resolve);
    });
    this.port = this.http.address().port;
    this.origin = `http://127.0.0.1:${this.port}`;
    return this;
  }

  close() {
    for (const c of this.wss?.clients ?? []) c.terminate();
    this.http?.closeAllConnections?.();
    this.http?.close();
  }

  // Registers a run; returns { token, url }. `handlers.onSocket(ws)` gets the page's socket
  // (once), `handlers.onTrap(record)` every trap a worker records.
  addRun(handlers) {
    const token = crypto.randomBytes(16).toString("hex");
    this.runs.set(token, { ...handlers, socketTaken: false });
    return { token, url: `${this.origin}/run/${token}/` };
  }

  removeRun(token) {
    this.runs.delete(token);
  }

  #headers(type, length, cache = false) {
    return {
      "Content-Type": type,
      "Content-Length": length,
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": cache ? "public, max-age=86400, immutable" : "no-store",
    };
  }

  #send(res, status, type, body, cache = false) {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    res.writeHead(status, this.#headers(type, bytes.length, cache));
    res.end(bytes);
  }

  #notFound(res, req) {
    if (req) this.log(`404 ${req.method} ${req.url}`);
    this.#send(res, 404, "text/plain", "not found\n");
  }

  // A file of the sdk package or of page/, read once and kept: only regular files under
  // dist/ or pkg/ of the package (after resolving links), with a known type.
  #static(urlPath) {
    const cached = this.files.get(urlPath);
    if (cached) return cached;
    let file;
    if (urlPath.startsWith("/sdk/")) {
      const rel = path.posix.normalize(urlPath.slice("/sdk/".length));
      if (!/^(dist|pkg)\//.test(rel)) return null;
      file = path.join(this.sdk, rel);
    } else if (urlPath.startsWith("/h/")) {
      const rel = urlPath.slice("/h/".length);
      if (!/^[a-z-]+\.mjs$/.test(rel) || rel === "worker.mjs") return null;
      file = path.join(SHARED.has(rel) ? here : PAGE_DIR, rel);
    } else return null;
    const type = TYPES[path.extname(file)];
    if (!type) return null;
    let real;
    try {
      real = fs.realpathSync(file);
    } catch {
      return null;
    }
    const root = urlPath.startsWith("/sdk/") ? this.sdk : fs.realpathSync(SHARED.has(path.basename(file)) ? here : PAGE_DIR);
    if (!real.startsWith(root + path.sep)) return null;
    let st;
    try {
      st = fs.statSync(real);
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    const entry = { bytes: fs.readFileSync(real), type };
    this.files.set(urlPath, entry);
    return entry;
  }

  #handle(req, res) {
    let url;
    try {
      url = new URL(req.url, this.origin);
    } catch {
      return this.#notFound(res, req);
    }
    const p = url.pathname;
    const run = /^\/run\/([0-9a-f]{32})\/(|trap)$/.exec(p);
    if (run) {
      const entry = this.runs.get(run[1]);
      if (!entry) return this.#notFound(res, req);
      if (run[2] === "" && req.method === "GET")
        return this.#send(res, 200, TYPES[".html"],
          '<!doctype html><meta charset="utf-8"><title>wasix-harness</title><link rel="icon" href="data:,"><script type="module" src="/h/driver.mjs"></script>\n');
      if (run[2] === "trap" && req.method === "POST") {
        const chunks = [];
        let size = 0;
        req.on("data", (c) => {
          size += c.length;
          if (size <= MAX_TRAP_BODY) chunks.push(c);
        });
        req.on("end", () => {
          try {
            entry.onTrap?.(JSON.parse(Buffer.concat(chunks).toString("utf8")));
          } catch (e) {
            this.log(`bad trap record: ${e.message}`);
          }
          this.#send(res, 204, "text/plain", "");
        });
        return;
      }
      return this.#notFound(res, req);
    }
    if (req.method !== "GET") return this.#notFound(res, req);
    if (p === "/h/worker.mjs") {
      // A guest thread's worker: the trap hook first, then the sdk's own worker script, as
      // static imports, so that the sdk's message handler is in place before the worker's
      // first message is delivered.
      const target = url.searchParams.get("u") ?? "";
      if (!/^\/sdk\/dist\/[a-z-]+\.js$/.test(target) || !this.#static(target)) return this.#notFound(res, req);
      return this.#send(res, 200, TYPES[".mjs"], `import "/h/trap-hook.mjs";\nimport ${JSON.stringify(target)};\n`);
    }
    const file = this.#static(p);
    if (!file) return this.#notFound(res, req);
    // The sdk's files never change while the server runs: the browser may keep them, and
    // Chromium then also keeps the sdk's compiled wasm code between pages.
    this.#send(res, 200, file.type, file.bytes, p.startsWith("/sdk/"));
  }

  #upgrade(req, socket, head) {
    const m = /^\/run\/([0-9a-f]{32})\/ws$/.exec(req.url ?? "");
    const entry = m && this.runs.get(m[1]);
    const sameOrigin = req.headers.origin === this.origin;
    if (!entry || entry.socketTaken || !sameOrigin) {
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    entry.socketTaken = true;
    this.wss.handleUpgrade(req, socket, head, (ws) => entry.onSocket(ws));
  }
}
