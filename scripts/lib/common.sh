# Shared helpers for scripts/*. Source after setting ROOT (the repo root).
# Every step prints one line to stderr.

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Run a command as root: directly when we are root, else through sudo.
as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "need root to run '$*' (install sudo or run as root)"
  fi
}

# apt_install PKG... : quiet install; runs 'apt-get update' only if the first try fails.
# Output goes to .polydev/logs/apt.log; returns non-zero on failure.
apt_install() {
  local log="$ROOT/.polydev/logs/apt.log"
  mkdir -p "${log%/*}"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0)
  as_root "${apt[@]}" install --no-install-recommends "$@" >"$log" 2>&1 && return 0
  as_root "${apt[@]}" update >>"$log" 2>&1 &&
    as_root "${apt[@]}" install --no-install-recommends "$@" >>"$log" 2>&1
}
