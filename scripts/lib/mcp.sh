# shellcheck shell=bash
# What the `polydev mcp` tests need besides the server's own set-up (docs/mcp.md, "Tests"):
# - the official MCP Inspector (npm @modelcontextprotocol/inspector), whose --cli mode is a client nobody here wrote;
# - an OS keyring to keep `polydev mcp setup`'s entry in: GNOME Keyring's Secret Service on a D-Bus session bus, and
#   libsecret, which the keyring store loads. The tests start their own bus and keyring daemon.
# Needs lib/common.sh.

MCP_INSPECTOR_VERSION="2.12.0"

# ensure_mcp_inspector: npm-installs the Inspector when missing; exports POLYDEV_MCP_INSPECTOR (its cli entry point,
# run with the pinned Node).
ensure_mcp_inspector() {
  local prefix="$ROOT/.polydev/tools/mcp-inspector-$MCP_INSPECTOR_VERSION"
  npm_install_tool "@modelcontextprotocol/inspector" "$MCP_INSPECTOR_VERSION" "$prefix"
  export POLYDEV_MCP_INSPECTOR="$prefix/node_modules/.bin/mcp-inspector"
}

# ensure_keyring_tools: GNOME Keyring, libsecret and a D-Bus daemon from apt when missing. grep reads all of ldconfig's
# list: with -q it would stop at the first match, and under pipefail ldconfig's SIGPIPE made the check fail (and apt
# run) on every run.
ensure_keyring_tools() {
  if ! command -v gnome-keyring-daemon >/dev/null || ! command -v dbus-daemon >/dev/null || ! command -v dbus-send >/dev/null || ! ldconfig -p | grep 'libsecret-1\.so\.0' >/dev/null; then
    log "installing gnome-keyring, libsecret and dbus (the OS keyring the MCP tests use)"
    apt_install gnome-keyring libsecret-1-0 dbus-daemon dbus-bin || die "apt-get install gnome-keyring libsecret-1-0 dbus-daemon dbus-bin failed (see .polydev/logs/apt.log)"
  fi
}
