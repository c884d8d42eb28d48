# The web client's toolchain (web/: TypeScript, esbuild) from web/package-lock.json, run on the pinned Node that
# scripts/lib/clis.sh installs (Debian 12's own Node is 18, without a global Web Crypto). Needs ensure_clis first.

# use_pinned_node: puts the pinned Node (images/runtime/clis.tsv, row "node") first on PATH.
use_pinned_node() {
  local version
  version="$(awk -F'\t' '$1 == "node" { print $3 }' "$ROOT/images/runtime/clis.tsv")"
  local bin="$ROOT/.polydev/clis/node-$version/node_modules/.bin"
  [[ -x "$bin/node" ]] || die "the pinned Node $version is missing; run ensure_clis (scripts/lib/clis.sh) first"
  export PATH="$bin:$PATH"
}

# ensure_web_deps: npm ci in web/ when node_modules is missing or older than the lock file.
ensure_web_deps() {
  use_pinned_node
  if [[ ! -d "$ROOT/web/node_modules" || "$ROOT/web/package-lock.json" -nt "$ROOT/web/node_modules" ]]; then
    log "web: npm ci (web/package-lock.json)"
    mkdir -p "$ROOT/.polydev/logs"
    (cd "$ROOT/web" && npm ci --no-audit --no-fund --loglevel=error) >"$ROOT/.polydev/logs/npm-web.log" 2>&1 \
      || die "npm ci in web/ failed (see .polydev/logs/npm-web.log)"
    touch "$ROOT/web/node_modules"
  fi
}

# ensure_web_built: builds the web client (npm run build:app -> web/dist, see docs/web.md) when web/dist/manifest.json
# is missing or older than any of its inputs: web/src/**, web/build.mjs, web/package.json, web/package-lock.json.
# Run it before building src/Polydev, which copies web/dist into its output as wwwroot/.
ensure_web_built() {
  local web="$ROOT/web" manifest="$ROOT/web/dist/manifest.json"
  ensure_web_deps
  if [[ -f "$manifest" ]] && [[ -z "$(find "$web/src" "$web/build.mjs" "$web/package.json" "$web/package-lock.json" -newer "$manifest" -print -quit)" ]]; then
    log "web client: up to date (web/dist)"
    return 0
  fi
  log "web client: npm run build:app -> web/dist"
  mkdir -p "$ROOT/.polydev/logs"
  if ! (cd "$web" && npm run build:app) >"$ROOT/.polydev/logs/web-build.log" 2>&1; then
    tail -n 20 "$ROOT/.polydev/logs/web-build.log" >&2 || true
    die "npm run build:app in web/ failed (see .polydev/logs/web-build.log)"
  fi
  [[ -f "$manifest" ]] || die "npm run build:app did not write web/dist/manifest.json"
}
