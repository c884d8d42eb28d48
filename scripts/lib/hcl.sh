# shellcheck shell=bash
# HashiCorp's HCL parser, for the test that loads deploy/nomad/*.hcl (NomadDeploymentFilesTests): the npm package
# @cdktf/hcl2json, which wraps HashiCorp's own Go HCL library compiled to WebAssembly, installed into
# .polydev/tools/hcl2json-<version>/ and run on the pinned Node (scripts/lib/web.sh, use_pinned_node). No Nomad binary
# is needed. Needs lib/common.sh.

HCL2JSON_VERSION="0.21.0"

# ensure_hcl2json: npm-installs @cdktf/hcl2json@$HCL2JSON_VERSION when missing; exports POLYDEV_HCL2JSON_DIR (the
# npm prefix, whose node_modules/@cdktf/hcl2json the test's script requires).
ensure_hcl2json() {
  local prefix="$ROOT/.polydev/tools/hcl2json-$HCL2JSON_VERSION"
  npm_install_tool "@cdktf/hcl2json" "$HCL2JSON_VERSION" "$prefix"
  export POLYDEV_HCL2JSON_DIR="$prefix"
}
