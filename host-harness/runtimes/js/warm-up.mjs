// A module of the runner's own that an sdk instance runs once before any guest: its `_start`
// calls proc_exit(0). Running it loads what the first process of an instance needs (the sdk's
// worker pool, its thread set-up), so a guest's run does not pay for it. Shared by the Node
// instance (../sdk/instance.mjs) and the browser page (../browser/page/driver.mjs imports it
// from the runner's server).
const text = (s) => [...new TextEncoder().encode(s)];

export const WARM_UP = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 2, 96, 1, 127, 0, 96, 0, 0, 2, 36, 1, 22, ...text("wasi_snapshot_preview1"),
  9, ...text("proc_exit"), 0, 0, 3, 2, 1, 1, 5, 3, 1, 0, 1, 7, 19, 2, 6, ...text("memory"), 2, 0, 6,
  ...text("_start"), 0, 1, 10, 8, 1, 6, 0, 65, 0, 16, 0, 11,
]);

// Runs WARM_UP on `wasmer` (a ready @wasmer/sdk Wasmer) to its end.
export async function warmUp(wasmer) {
  const pkg = await wasmer.packages.create({ modules: { main: WARM_UP }, commands: { main: { module: "main" } } });
  const sandbox = await wasmer.sandboxes.create({ packages: [pkg], network: { mode: "disabled" } });
  const proc = await sandbox.command(pkg, []).spawn({ stdin: "closed", stdout: "pipe", stderr: "pipe" });
  const out = await proc.wait({ check: false });
  await sandbox.close().catch(() => {});
  if (out.exitCode !== 0) throw new Error(`the warm-up module ended with ${out.exitCode}`);
}
