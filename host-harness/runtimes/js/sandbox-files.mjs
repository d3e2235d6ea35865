// The mapped directories of a run, for runners on @wasmer/sdk (Node and the browsers), which
// cannot map a host directory into the guest: each directory's files are COPIED into the
// package (`packages.create({files})`, canonical absolute guest paths), which the sdk mounts
// under a writable in-memory overlay. The guest sees the files and can write there, but its
// writes never reach the host directory.
//
// What is copied is what wasmer's host filesystem lets a guest see there:
//   * a symlink is followed only when its real path stays inside the mapped directory (wasmer
//     resolves links inside the guest's namespace, so one that leads out gives ENOENT); one that
//     leads out, dangles, or points at a directory being copied (a loop) is left out;
//   * FIFOs, sockets and devices are left out (a copy cannot be one), and so is an entry that
//     cannot be read;
//   * a runner's private directory (`wasix-harness-runner-*`: a browser's profile) is left out,
//     should a mapped directory hold one;
//   * at most the run's memory limit in bytes, in all (the sdk holds every file in memory).
// The sdk has no way to create an EMPTY directory (package files are files only), so a mapped
// directory that is empty or holds an empty subdirectory cannot be given: `unsupported`.
import fs from "node:fs";
import path from "node:path";

const RUNNER_DIR = /^wasix-harness-runner-/;

// -> { files: {guestPath: Uint8Array}, unsupported: null | "one line why" }
export function collectDirs(dirs, limit, log = () => {}) {
  const files = {};
  const budget = { total: limit, left: limit };
  for (const d of dirs) {
    let empty;
    try {
      const guest = path.posix.normalize(d.guest);
      // "/" too: the wasi-testsuite's current form maps its directory as the guest's root.
      if (!guest.startsWith("/")) throw new Error(`guest path ${d.guest} must be an absolute path`);
      const root = fs.realpathSync(d.host);
      empty = collectDir(root, root, guest, files, budget, new Set(), log);
    } catch (e) {
      return { files, unsupported: `cannot copy ${d.host} into the sandbox (${oneLine(e.message)})` };
    }
    if (empty)
      return {
        files,
        unsupported: `a mapped directory that is empty (${empty}); the sdk cannot map host directories, and its package files cannot make an empty directory`,
      };
  }
  return { files, unsupported: null };
}

function oneLine(s) {
  return String(s ?? "").replace(/\s+/g, " ").trim().slice(0, 500);
}

// Returns the guest path of an empty directory (which the sdk cannot create), or null.
function collectDir(root, hostDir, guestDir, files, budget, ancestors, log) {
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
      if (RUNNER_DIR.test(ent.name)) {
        log(`left out ${h}: a runner's own directory`);
        continue;
      }
      const g = path.posix.join(guestDir, ent.name);
      let st = fs.lstatSync(h);
      if (st.isSymbolicLink()) {
        let real;
        try {
          real = fs.realpathSync(h);
        } catch {
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
        const empty = collectDir(root, h, g, files, budget, ancestors, log);
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
