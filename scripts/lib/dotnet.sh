# .NET SDK helpers. Needs lib/common.sh.

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

has_dotnet10() {
  command -v dotnet >/dev/null && dotnet --list-sdks 2>/dev/null | grep '^10\.' >/dev/null
}

# Make sure a .NET 10 SDK is on PATH, installing it from apt if needed.
ensure_dotnet() {
  # A per-user install (dotnet-install.sh) that is not on PATH yet.
  if ! has_dotnet10 && [[ -x $HOME/.dotnet/dotnet ]]; then
    export PATH="$HOME/.dotnet:$PATH"
  fi
  if ! has_dotnet10; then
    log ".NET 10 SDK missing: apt-get install dotnet-sdk-10.0"
    apt_install dotnet-sdk-10.0 || true
    has_dotnet10 || die ".NET 10 SDK not found and apt has no dotnet-sdk-10.0: install it (see https://learn.microsoft.com/dotnet/core/install/linux-debian) and put 'dotnet' on PATH"
  fi
  log ".NET SDK $(dotnet --version): ok"
}
