# Sourced by the scripts: Debian's OpenBLAS 0.3.21 does not recognise recent AVX-512 CPUs and
# falls back to AVX2 kernels at about half speed; selecting SkylakeX kernels fixes that.
# Only set when the CPU has AVX-512 (forcing them elsewhere would fault) and the user has not chosen.
if [[ -z "${OPENBLAS_CORETYPE:-}" ]] && grep -q ' avx512f' /proc/cpuinfo 2>/dev/null; then
    export OPENBLAS_CORETYPE=SkylakeX
fi
