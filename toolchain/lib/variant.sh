# Sourced by the toolchain's cargo and rustc wrappers (installed as lib/variant.sh): which
# variant of the toolchain a build uses, read from the WASIX_TOOLCHAIN_* variables.
#
#   WASIX_TOOLCHAIN_STD  wasix   (default) std built from Debian's sources with the patches of
#                                std-patches/trees for `wasix`: futex waits are WASIX calls
#                        wasip1  std built from Debian's sources as they are (the std of
#                                wasm32-wasip1-threads), to compare with
#
# Sets, for the wrappers:
#   wasix_variant   words naming the variant; rustc -vV prints them, and cargo hashes that
#                   output into every artifact, so two variants never share a build
#   wasix_std_tree  the std source tree (lib/rustlib/src/<tree>/library) std is built from
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
