# Shared helpers for scripts/*. Source after setting ROOT (the repo root).
# Every step prints one line to stderr.

# With LOG_ELAPSED=1 (scripts/test) each line carries the seconds since the script started, so a CI log shows where
# a clean clone's set-up goes.
log() { printf '[%s%s] %s\n' "${0##*/}" "${LOG_ELAPSED:+ ${SECONDS}s}" "$*" >&2; }
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

# npm_install_tool PACKAGE VERSION PREFIX: npm-installs PACKAGE@VERSION into PREFIX (a tool of its own, not a
# dependency of the project) when it is not there yet; through PREFIX.partial, so a failed install leaves nothing
# that looks installed. The log goes to .polydev/logs/npm-<the prefix's folder name>.log.
npm_install_tool() {
  local package="$1" version="$2" prefix="$3"
  [[ -f "$prefix/node_modules/$package/package.json" ]] && return 0
  command -v npm >/dev/null || apt_install npm || die "npm is needed to fetch $package (apt-get install npm)"
  local npm_log="$ROOT/.polydev/logs/npm-${prefix##*/}.log"
  log "installing $package@$version from npm into ${prefix#"$ROOT"/}"
  mkdir -p "$ROOT/.polydev/logs"
  rm -rf "$prefix.partial" && mkdir -p "$prefix.partial"
  npm install --prefix "$prefix.partial" --no-audit --no-fund --no-save --loglevel=error "$package@$version" \
    >"$npm_log" 2>&1 || die "npm install $package@$version failed (see ${npm_log#"$ROOT"/})"
  rm -rf "$prefix" && mv "$prefix.partial" "$prefix"
}
