# NativeAOT toolchain for publishing the sandbox agent (polydev-agent): the ILCompiler package comes from NuGet,
# the native link needs clang (and zlib headers). Needs lib/common.sh.

ensure_nativeaot_tools() {
  local missing=()
  command -v clang >/dev/null || missing+=(clang)
  [[ -e /usr/include/zlib.h ]] || missing+=(zlib1g-dev)
  if (( ${#missing[@]} )); then
    log "NativeAOT tools missing: apt-get install ${missing[*]}"
    apt_install "${missing[@]}" || die "could not install ${missing[*]} (see .polydev/logs/apt.log)"
  fi
  log "clang $(clang -dumpversion 2>/dev/null) for NativeAOT: ok"
}
