# Sourced by the toolchain's cargo and rustc wrappers (installed as lib/variant.sh): which
# variant of the toolchain a build uses, read from the WASIX_TOOLCHAIN_* variables.
#
#   WASIX_TOOLCHAIN_STD    wasix   (default) std built from Debian's sources with the patches of
#                                  std-patches/trees for `wasix`: futex waits are WASIX calls
#                          wasip1  std built from Debian's sources as they are (the std of
#                                  wasm32-wasip1-threads), to compare with
#   WASIX_TOOLCHAIN_PANIC  abort   (default) every panic aborts, as in every WASIX toolchain
#                          unwind  std with panic_unwind, every crate unwinds (wasm exceptions)
#   WASIX_TOOLCHAIN_EH     with unwind only: exnref (default; wasmer 7.4, Node >= 24, current
#                          browsers) or legacy (Node 20's V8, which has no exnref)
#
# Sets, for the wrappers:
#   wasix_variant   words naming the variant; rustc -vV prints them, and cargo hashes that
#                   output into every artifact, so two variants never share a build
#   wasix_std_tree  the std source tree (lib/rustlib/src/<tree>/library) std is built from
#   wasix_panic     abort, unwind-exnref or unwind-legacy: the directory of the target spec
#                   (lib/rustlib/targets/<it>/) that carries the panic strategy
#
# A new switch adds its variable here: a word to wasix_variant and, if it needs other std
# sources, a tree name (listed in std-patches/trees).
wasix_std=${WASIX_TOOLCHAIN_STD:-wasix}
case $wasix_std in
wasix | wasip1) ;;
*)
    printf 'wasix toolchain: WASIX_TOOLCHAIN_STD=%s: expected wasix (the default) or wasip1\n' \
        "$wasix_std" >&2
    exit 2
    ;;
esac
wasix_variant="std=$wasix_std"
wasix_std_tree=$wasix_std
wasix_panic=${WASIX_TOOLCHAIN_PANIC:-abort}
case $wasix_panic in
abort) ;;
unwind)
    wasix_eh=${WASIX_TOOLCHAIN_EH:-exnref}
    case $wasix_eh in
    exnref | legacy) ;;
    *)
        printf 'wasix toolchain: WASIX_TOOLCHAIN_EH=%s: expected exnref (the default) or legacy\n' \
            "$wasix_eh" >&2
        exit 2
        ;;
    esac
    # The abort build keeps its words as they were, so its artifacts stay valid.
    wasix_variant="$wasix_variant panic=unwind eh=$wasix_eh"
    wasix_panic=unwind-$wasix_eh
    ;;
*)
    printf 'wasix toolchain: WASIX_TOOLCHAIN_PANIC=%s: expected abort (the default) or unwind\n' \
        "$wasix_panic" >&2
    exit 2
    ;;
esac
