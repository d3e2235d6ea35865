// What the sdk's workers do with guest code, seen from inside them: installed first in every
// worker the sdk starts, in Node (../sdk/worker-shim.mjs) and in a page (../browser/page/
// trap-hook.mjs, which imports it from the runner's server). No Node or browser API is used.
//
// A guest's module is instantiated by the sdk's glue (`new WebAssembly.Instance`, or
// `WebAssembly.instantiate`), in every worker that runs one of its threads; its entry points
// are then called through the glue: `_start` with `Reflect.apply`, `wasi_thread_start` with
// `Function.prototype.call` (and `apply` elsewhere). The hooks:
//   * note every instantiation of a guest module (one without the sdk's own glue namespace,
//     "./wasmer_sdk_js_bg.js"): `onStart()` (its `_start` is next), and its functions, so that
//     calls into them can be told from the sdk's own;
//   * count the calls into guest functions in progress (`count()`: an Int32Array in memory
//     the instance's workers share): zero after a run's end means no guest thread still runs;
//   * report a trap that leaves a guest function (`onTrap(error)`): the sdk turns a trap in a
//     spawned thread into exit status 129 and says nothing else;
//   * report the status a guest passes to proc_exit, all 32 bits (`onExit(status)`): the sdk
//     keeps only `(status % 256) as u16` of it.
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

export function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError ||
    (e instanceof RangeError && /call stack/i.test(e.message)) ||
    (e?.name === "InternalError" && /recursion/i.test(e.message));
}

export function installGuestHooks({ count, onStart, onTrap, onExit }) {
  const guest = new WeakSet();
  const apply = Reflect.apply;

  // A copy of a guest's `imports` whose exit functions report their argument first.
  const noteExits = (imports) => {
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
          return apply(f, this, [status, ...rest]);
        },
      };
    }
    return copy ?? imports;
  };
  const remember = (instance) => {
    for (const f of Object.values(instance.exports)) if (typeof f === "function") guest.add(f);
    return instance;
  };

  const Instance = WebAssembly.Instance;
  WebAssembly.Instance = function (module, imports) {
    if (isSdkGlue(imports)) return new Instance(module, imports);
    onStart();
    return remember(new Instance(module, noteExits(imports)));
  };
  WebAssembly.Instance.prototype = Instance.prototype;
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = async (source, imports, ...rest) => {
    if (isSdkGlue(imports)) return instantiate(source, imports, ...rest);
    onStart();
    const made = await instantiate(source, noteExits(imports), ...rest);
    remember(made.instance ?? made);
    return made;
  };

  // A call into a guest function: counted while it runs; a trap leaving it reported.
  const enter = (f, self, args) => {
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
  Reflect.apply = function (f, self, args) {
    return guest.has(f) ? enter(f, self, args) : apply(f, self, args);
  };
  const call = Function.prototype.call;
  const applyMethod = Function.prototype.apply;
  Object.defineProperty(Function.prototype, "call", {
    configurable: true,
    writable: true,
    value: function (self, ...args) {
      return guest.has(this) ? enter(this, self, args) : apply(call, this, [self, ...args]);
    },
  });
  Object.defineProperty(Function.prototype, "apply", {
    configurable: true,
    writable: true,
    value: function (self, args) {
      return guest.has(this) ? enter(this, self, args ?? []) : apply(applyMethod, this, [self, args]);
    },
  });
}
