# shellcheck shell=bash
# ensure_shells: zsh and fish from Debian, for the tests that load `polydev completion zsh|fish` in the real shells
# (bash is always there).
ensure_shells() {
  local missing=()
  command -v zsh >/dev/null 2>&1 || missing+=(zsh)
  command -v fish >/dev/null 2>&1 || missing+=(fish)
  if ((${#missing[@]} > 0)); then
    log "shells missing for the completion tests: apt-get install ${missing[*]}"
    apt_install "${missing[@]}" || die "could not install ${missing[*]} (see .polydev/logs/apt.log)"
  fi
  log "shells for the completion tests: ok (zsh $(zsh --version | awk '{print $2}'), $(fish --version 2>&1))"
}
