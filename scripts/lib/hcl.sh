# shellcheck shell=bash
# HashiCorp's HCL parser, for the test that loads deploy/nomad/*.hcl (NomadDeploymentFilesTests): the npm package
# @cdktf/hcl2json, which wraps HashiCorp's own Go HCL library compiled to WebAssembly, installed into
# .polydev/tools/hcl2json-<version>/ and run on the pinned Node (scripts/lib/web.sh, use_pinned_node). No Nomad binary
# is needed. Needs lib/common.sh.

HCL2JSON_VERSION="0.21.0"

# ensure_hcl2json: npm-installs @cdktf/hcl2json@$HCL2JSON_VERSION when missing; exports POLYDEV_HCL2JSON_DIR (the
# npm prefix, whose node_modules/@cdktf/hcl2json the test's script requires).
ensure_hcl2json() {
  command -v npm >/dev/null || apt_install npm || die "npm is needed to fetch @cdktf/hcl2json (apt-get install npm)"
  local prefix="$ROOT/.polydev/tools/hcl2json-$HCL2JSON_VERSION"
  if [[ ! -f "$prefix/node_modules/@cdktf/hcl2json/package.json" ]]; then
    log "installing @cdktf/hcl2json@$HCL2JSON_VERSION from npm into ${prefix#"$ROOT"/}"
    mkdir -p "$ROOT/.polydev/logs"
    rm -rf "$prefix.partial" && mkdir -p "$prefix.partial"
    npm install --prefix "$prefix.partial" --no-audit --no-fund --no-save --loglevel=error "@cdktf/hcl2json@$HCL2JSON_VERSION" \
      >"$ROOT/.polydev/logs/npm-hcl2json.log" 2>&1 || die "npm install @cdktf/hcl2json@$HCL2JSON_VERSION failed (see .polydev/logs/npm-hcl2json.log)"
    rm -rf "$prefix" && mv "$prefix.partial" "$prefix"
  fi
  export POLYDEV_HCL2JSON_DIR="$prefix"
}
