# Sourced by the toolchain's cargo and rustc (installed as lib/variant.sh): which panic
# strategy a wasm32-wasmer-wasi build uses, chosen like the toolchain's other switches.
#
#   WASIX_TOOLCHAIN_PANIC  abort (default): today's build, every panic aborts
#                          unwind: std with panic_unwind, every crate unwinds (wasm exceptions)
#   WASIX_TOOLCHAIN_EH     with unwind only: exnref (default; wasmer 7.4, Node >= 24, current
#                          browsers) or legacy (Node 20's V8, which has no exnref)
#
# Sets `variant`, the directory of the variant's target spec under lib/rustlib/targets/, and
# `variant_line`, what `rustc -vV` appends to its `wasix-toolchain:` line: cargo hashes that
# output into every artifact, so one target directory never mixes artifacts of two variants
# (std above all). The abort build adds nothing, so its artifacts stay what they were.
# A wrong value is a one-line error and status 78 (EX_CONFIG), never a silent default.
case ${WASIX_TOOLCHAIN_PANIC:-abort} in
abort)
    variant=abort
    variant_line= ;;
unwind)
    case ${WASIX_TOOLCHAIN_EH:-exnref} in
    exnref | legacy) ;;
    *)
        echo "wasix toolchain: WASIX_TOOLCHAIN_EH must be exnref or legacy, not '$WASIX_TOOLCHAIN_EH'" >&2
        exit 78 ;;
    esac
    variant=unwind-${WASIX_TOOLCHAIN_EH:-exnref}
    variant_line=" panic=unwind eh=${WASIX_TOOLCHAIN_EH:-exnref}" ;;
*)
    echo "wasix toolchain: WASIX_TOOLCHAIN_PANIC must be abort or unwind, not '$WASIX_TOOLCHAIN_PANIC'" >&2
    exit 78 ;;
esac
