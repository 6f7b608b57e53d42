# Shared paths and helpers for nlfam's scripts. Sourced, not run.
# Everything heavy (kernel source, kernel builds, the Python venv) lives outside the
# clone, under NLFAM_CACHE, so a fresh clone re-uses it and `git clean` never loses it.

NLFAM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NLFAM_CACHE=${NLFAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nlfam}
NLFAM_VENV=$NLFAM_CACHE/venv
KERNEL_SERIES=6.12
BINDGEN_VERSION=0.73.2
VIRTME_NG_VERSION=1.42

export PATH="$HOME/.cargo/bin:$NLFAM_VENV/bin:$PATH"

say()  { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }
