// What a worker of the sdk does with guest code, seen from inside it: installed first in every
// worker the sdk starts, in Node (../sdk/worker-shim.mjs) and in a page and its workers
// (../browser/page/trap-hook.mjs, served as /h/guest-hooks.mjs). No Node or browser API is
// used; each caller says where its records go.
//
// The sdk instantiates a guest's module with `new WebAssembly.Instance` or
// `WebAssembly.instantiate`, and calls the guest's entry points through its wasm-bindgen glue
// (`Reflect.apply`). The hooks:
//   * `onStart()`: a module without the sdk's own glue namespace ("./wasmer_sdk_js_bg.js") was
//     instantiated, so a guest's `_start` is next: when the guest's time begins, after the
//     worker that runs it started;
//   * `onExit(status)`: the status a guest passes to proc_exit, all 32 bits (the sdk keeps
//     only `(status % 256) as u16` of it, so exit(256) would look like exit(0));
//   * `onTrap(error)`: a trap left a call through `Reflect.apply` (a WebAssembly.RuntimeError;
//     V8's stack overflow is a RangeError, SpiderMonkey's an InternalError "too much
//     recursion"): the sdk turns a trap in a spawned thread into exit status 129 and prints
//     nothing, so this is the only way to tell it from a guest's own exit(129);
//   * `count()`: an Int32Array (or null) in memory shared by the instance's workers, holding
//     how many calls through `Reflect.apply` are in progress: zero after a run's end means no
//     guest thread of it still runs.
const EXIT_IMPORTS = [
  ["wasi_snapshot_preview1", "proc_exit"],
  ["wasi_unstable", "proc_exit"],
  ["wasix_32v1", "proc_exit"],
  ["wasix_32v1", "proc_exit2"],
  ["wasix_64v1", "proc_exit"],
  ["wasix_64v1", "proc_exit2"],
];

// The sdk's own wasm (wasm-bindgen) imports its glue as "./<name>_bg.js".
const isSdkGlue = (imports) =>
  !!imports && typeof imports === "object" && Object.keys(imports).some((k) => k.startsWith("./"));

function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError ||
    (e instanceof RangeError && /call stack/i.test(e.message)) ||
    (e?.name === "InternalError" && /recursion/i.test(e.message));
}

export function installGuestHooks({ onStart, onExit, onTrap, count }) {
  // A copy of `imports` whose exit functions report their argument first.
  function noteExits(imports) {
    if (!isSdkGlue(imports)) onStart();
    if (!imports || typeof imports !== "object") return imports;
    let copy = null;
    for (const [ns, name] of EXIT_IMPORTS) {
      const f = imports[ns]?.[name];
      if (typeof f !== "function") continue;
      copy ??= { ...imports };
      copy[ns] = {
        ...copy[ns],
        [name](status, ...rest) {
          onExit(status | 0);
          return f.call(this, status, ...rest);
        },
      };
    }
    return copy ?? imports;
  }
  const Instance = WebAssembly.Instance;
  WebAssembly.Instance = function (module, imports) {
    return new Instance(module, noteExits(imports));
  };
  WebAssembly.Instance.prototype = Instance.prototype;
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = (source, imports, ...rest) => instantiate(source, noteExits(imports), ...rest);

  const apply = Reflect.apply;
  Reflect.apply = function (f, self, args) {
    const counter = count();
    if (counter) Atomics.add(counter, 0, 1);
    try {
      return apply(f, self, args);
    } catch (e) {
      if (isTrap(e)) onTrap(e);
      throw e;
    } finally {
      if (counter) Atomics.sub(counter, 0, 1);
    }
  };
}
