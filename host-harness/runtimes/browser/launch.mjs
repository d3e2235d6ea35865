// Starting and stopping one headless browser (Debian's `chromium` or `firefox-esr`) for the
// browser runner, and connecting puppeteer-core to it.
//
// The browser is spawned here rather than by `puppeteer.launch()`, which always starts it in a
// process group of its own (`detached`): the harness ends a runner by killing the runner's
// process group, and a browser outside that group would outlive it. Spawned here, it stays in
// the runner's group, and `setpriv --pdeathsig KILL` ends it too if the runner itself dies by
// a signal nobody forwarded. No browser is ever downloaded: the executable is the system's.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Browser as BrowserKind, createProfile } from "@puppeteer/browsers";
import puppeteer from "puppeteer-core";

// What each browser is, where Debian installs it, and the variable that overrides the path.
export const BROWSERS = Object.freeze({
  chromium: { executable: "/usr/bin/chromium", override: "WASIX_HARNESS_CHROMIUM", debianPackage: "chromium" },
  firefox: { executable: "/usr/bin/firefox-esr", override: "WASIX_HARNESS_FIREFOX", debianPackage: "firefox-esr" },
});

// Chromium on this kind of machine: as root it needs --no-sandbox; there is no GPU; and with
// no network but the package registries, every background connection (component updates,
// sync, safe browsing, QUIC probes) is refused, so none is started.
const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--disable-breakpad",
  "--disable-crash-reporter",
  "--disable-client-side-phishing-detection",
  "--disable-domain-reliability",
  "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,CalculateNativeWinOcclusion,InterestFeedContentSuggestions,AutofillServerCommunication",
  "--disable-background-timer-throttling",
  "--disable-backgrounding-occluded-windows",
  "--disable-renderer-backgrounding",
  "--disable-hang-monitor",
  "--disable-ipc-flooding-protection",
  "--disable-popup-blocking",
  "--metrics-recording-only",
  "--password-store=basic",
  "--use-mock-keychain",
  "--mute-audio",
  "--remote-debugging-address=127.0.0.1",
  "--remote-debugging-port=0",
];

// Firefox prefs beyond puppeteer's own profile (createProfile): nothing may phone out.
const FIREFOX_PREFS = {
  "fission.webContentIsolationStrategy": 0,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "browser.safebrowsing.update.enabled": false,
  "extensions.getAddons.cache.enabled": false,
  "services.settings.server": "data:,",
  "dom.workers.maxPerDomain": 512,
};

export function executableOf(kind) {
  const info = BROWSERS[kind];
  if (!info) throw new Error(`unknown browser ${kind}`);
  return process.env[info.override] || info.executable;
}

// Starts the browser and connects to it. `log` takes one line of diagnostics.
// Returns { browser, kind, version, close(), onExit }: `onExit(how)`, if set, is called when
// the browser ends without being closed.
export async function launch(kind, { log = () => {}, timeoutMs = 60000 } = {}) {
  const executable = executableOf(kind);
  if (!fs.existsSync(executable))
    throw Object.assign(new Error(`${executable} is not installed (Debian package ${BROWSERS[kind].debianPackage}; run scripts/provision, or set ${BROWSERS[kind].override})`), { missing: true });
  // The runner's private directory, which the harness made for it (not the temporary
  // directory, which users map for guests) and removes with it.
  const base = process.env.WASIX_HARNESS_RUNNER_DIR || os.tmpdir();
  const profile = fs.mkdtempSync(path.join(base, `${kind}-profile-`));
  let args;
  if (kind === "chromium") {
    args = [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, "about:blank"];
  } else {
    await createProfile(BrowserKind.FIREFOX, { path: profile, preferences: FIREFOX_PREFS });
    args = ["--headless", "--no-remote", "--profile", profile, "--remote-debugging-port=0", "about:blank"];
  }
  const env = { ...process.env };
  // Firefox: no crash reporter dialog, no first-run pages.
  env.MOZ_CRASHREPORTER_DISABLE = "1";
  env.MOZ_DISABLE_AUTO_SAFE_MODE = "1";
  // The runner's protocol sockets (descriptors 3 and 4, inherited without close-on-exec) must
  // not reach the browser: its processes would hold them open after the runner ended, and the
  // parent waits for their end. Node cannot close them for a child, so a shell does.
  const setpriv = fs.existsSync("/usr/bin/setpriv") ? ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--"] : [];
  const child = spawn("/bin/sh", ["-c", 'exec 3>&- 4>&- && exec "$@"', "sh", ...setpriv, executable, ...args],
    { stdio: ["ignore", "pipe", "pipe"], env, detached: false });
  const removeProfile = () => {
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      log(`cannot remove ${profile}: ${e.message}`);
    }
  };
  let exited = null;
  let closed = false;
  let handle = null;
  child.on("exit", (code, signal) => {
    exited = { code, signal };
    log(`${kind} exited (${signal ?? code})`);
    // Not asked to: whoever drives it is told (handle.onExit).
    if (!closed) handle?.onExit?.(signal ?? code);
  });
  const endpoint = await new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`${kind} did not announce its debugging endpoint within ${timeoutMs} ms`)), timeoutMs);
    const onData = (d) => {
      const chunk = d.toString();
      text += chunk;
      for (const line of chunk.split("\n")) if (line.trim()) log(`${kind}: ${line.trim().slice(0, 300)}`);
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text) ?? /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stderr.on("data", onData);
    child.stdout.on("data", onData);
    child.on("exit", () => {
      clearTimeout(timer);
      const last = text.trim().split("\n").filter(Boolean).pop() ?? "";
      reject(new Error(`${kind} ended before it could be driven: ${last.slice(0, 300)}`));
    });
  }).catch((e) => {
    child.kill("SIGKILL");
    removeProfile();
    throw e;
  });
  // Keep draining the browser's output (into the log) so that it never blocks on a full pipe.
  let browser;
  try {
    browser = kind === "chromium"
      ? await puppeteer.connect({ browserWSEndpoint: endpoint, defaultViewport: null, protocolTimeout: timeoutMs })
      : await puppeteer.connect({ browserWSEndpoint: `${endpoint}/session`, protocol: "webDriverBiDi", defaultViewport: null, protocolTimeout: timeoutMs });
  } catch (e) {
    child.kill("SIGKILL");
    removeProfile();
    throw new Error(`cannot drive ${kind} at ${endpoint}: ${e.message}`);
  }
  const version = await browser.version().catch(() => kind);
  log(`${kind} ready: ${version} (pid ${child.pid})`);
  handle = {
    onExit: null,
    browser,
    kind,
    version,
    pid: child.pid,
    get exited() {
      return exited;
    },
    async close() {
      if (closed) return;
      closed = true;
      // A browser is closed by killing it: nothing of it is kept, and a graceful close can
      // wait on a page whose guest never yields.
      try {
        browser.disconnect();
      } catch {}
      if (!exited) {
        child.kill("SIGKILL");
        await new Promise((r) => (exited ? r() : child.once("exit", r)));
      }
      removeProfile();
    },
  };
  return handle;
}
