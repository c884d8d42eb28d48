# The provider CLIs and Node.js at the versions pinned in images/runtime/clis.tsv, installed from npm into
# .polydev/clis/<provider>-<version>/ (one npm prefix each). The runtime images copy them from there, and
# tests that run a real CLI on the host find them there (POLYDEV_CLIS_DIR).

CLIS_DIR="$ROOT/.polydev/clis"

# ensure_clis: npm-installs every pinned package that is not installed yet; exports POLYDEV_CLIS_DIR.
ensure_clis() {
  command -v npm >/dev/null || apt_install npm || die "npm is needed to fetch the provider CLIs (apt-get install npm)"
  local provider package version bin prefix
  mkdir -p "$ROOT/.polydev/logs"
  while IFS=$'\t' read -r provider package version bin; do
    [[ -z "$provider" || "$provider" == \#* ]] && continue
    prefix="$CLIS_DIR/$provider-$version"
    if [[ ! -x "$prefix/node_modules/.bin/$bin" ]]; then
      log "installing $package@$version from npm into ${prefix#"$ROOT"/}"
      rm -rf "$prefix.partial" && mkdir -p "$prefix.partial"
      npm install --prefix "$prefix.partial" --no-audit --no-fund --no-save --loglevel=error "$package@$version" \
        >"$ROOT/.polydev/logs/npm-$provider.log" 2>&1 || die "npm install $package@$version failed (see .polydev/logs/npm-$provider.log)"
      rm -rf "$prefix" && mv "$prefix.partial" "$prefix"
    fi
  done <"$ROOT/images/runtime/clis.tsv"
  export POLYDEV_CLIS_DIR="$CLIS_DIR"
}
