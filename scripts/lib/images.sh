# The runtime images and the login image (docs/images.md): publishes the sandbox agent with NativeAOT and runs
# `polydev images build` (every provider's runtime image, then polydev/login), which makes the Debian base with
# debootstrap when missing and rebuilds only images whose version changed. The login image's first build downloads
# its apt packages (Chromium, GStreamer, Xvfb) from the base's mirror. Needs lib/common.sh, lib/dotnet.sh, and
# ensure_docker, ensure_clis and ensure_nativeaot_tools to have run.

AGENT_DIR="$ROOT/.polydev/agent"

# ensure_agent_published: .polydev/agent/polydev-agent, republished only when the sources of the agent or of the
# projects it references (the agent protocol, the crypto library, the contracts with the job and its events) change.
# The publish runs on a copy of the sources, so the linux-x64 restore never rewrites the obj/ folders that the
# solution's builds use (as tests/Polydev.Agent.Tests/NativeAotTests.cs does).
ensure_agent_published() {
  local stamp sources="$ROOT/.polydev/agent-build"
  stamp="$(cd "$ROOT" && find src/Polydev.Agent src/Polydev.Agent.Protocol src/Polydev.Crypto src/Polydev.Contracts \( -name bin -o -name obj \) -prune -o -type f -print0 |
    sort -z | xargs -0 sha256sum | cat - Directory.Build.props Directory.Packages.props global.json | sha256sum | cut -c1-64)"
  if [[ -x "$AGENT_DIR/polydev-agent" && "$(cat "$AGENT_DIR/.sources-sha256" 2>/dev/null)" == "$stamp" ]]; then
    log "sandbox agent (NativeAOT): up to date"
    return 0
  fi
  local started=$SECONDS
  log "publishing the sandbox agent (NativeAOT, linux-x64) into ${AGENT_DIR#"$ROOT"/}"
  rm -rf "$sources" && mkdir -p "$sources/src" "$ROOT/.polydev/logs"
  cp "$ROOT/Directory.Build.props" "$ROOT/Directory.Packages.props" "$ROOT/global.json" "$sources/"
  local project
  for project in Polydev.Agent Polydev.Agent.Protocol Polydev.Crypto Polydev.Contracts; do
    cp -r "$ROOT/src/$project" "$sources/src/$project"
    rm -rf "$sources/src/$project/bin" "$sources/src/$project/obj"
  done
  if ! dotnet publish "$sources/src/Polydev.Agent" -c Release -r linux-x64 -o "$AGENT_DIR.partial" -nologo -v quiet -tl:off \
      >"$ROOT/.polydev/logs/agent-publish.log" 2>&1; then
    tail -n 20 "$ROOT/.polydev/logs/agent-publish.log" >&2
    die "NativeAOT publish of src/Polydev.Agent failed (see .polydev/logs/agent-publish.log)"
  fi
  # A trim or AOT warning is a code path the native binary may not have: refused like an error.
  if grep -q "warning IL" "$ROOT/.polydev/logs/agent-publish.log"; then
    grep "warning IL" "$ROOT/.polydev/logs/agent-publish.log" | head -n 10 >&2
    die "the NativeAOT publish of src/Polydev.Agent has trim/AOT warnings (see .polydev/logs/agent-publish.log)"
  fi
  rm -rf "$AGENT_DIR" && mkdir -p "$AGENT_DIR"
  cp "$AGENT_DIR.partial/polydev-agent" "$AGENT_DIR/polydev-agent" && rm -rf "$AGENT_DIR.partial"
  echo "$stamp" >"$AGENT_DIR/.sources-sha256"
  log "sandbox agent published in $((SECONDS - started))s ($(du -h "$AGENT_DIR/polydev-agent" | cut -f1))"
}

# ensure_runtime_images [POLYDEV_BINARY]: every provider's runtime image and the login image, up to date with
# clis.tsv, the Dockerfiles and the agent. Without a polydev binary (scripts/start passes the one it published),
# builds src/Polydev for it.
ensure_runtime_images() {
  local started=$SECONDS bin="${1:-}"
  command -v debootstrap >/dev/null || [[ -x /usr/sbin/debootstrap ]] || {
    log "debootstrap missing (for the offline Debian base image): apt-get install debootstrap"
    apt_install debootstrap || die "could not install debootstrap (see .polydev/logs/apt.log)"
  }
  ensure_agent_published
  if [[ -z "$bin" ]]; then
    # The solution's own Release output: the test run that follows reuses this build.
    if ! dotnet build "$ROOT/src/Polydev" -c Release -nologo -v quiet -tl:off >"$ROOT/.polydev/logs/images-build.log" 2>&1; then
      tail -n 20 "$ROOT/.polydev/logs/images-build.log" >&2
      die "build of src/Polydev failed (see .polydev/logs/images-build.log)"
    fi
    bin="$(ls "$ROOT"/src/Polydev/bin/Release/*/polydev | head -n 1)"
  fi
  log "runtime and login images: polydev images build (log: .polydev/logs/images.log)"
  if ! DOTNET_ROOT="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}" "$bin" images build \
      --repo "$ROOT" --agent "$AGENT_DIR/polydev-agent" --clis "${POLYDEV_CLIS_DIR:-$ROOT/.polydev/clis}" \
      >"$ROOT/.polydev/logs/images.out" 2>"$ROOT/.polydev/logs/images.log"; then
    tail -n 15 "$ROOT/.polydev/logs/images.log" >&2
    die "polydev images build failed (see .polydev/logs/images.log)"
  fi
  local line
  # One line per image, with its own build time ("built in N s" or "up to date").
  while IFS= read -r line; do log "image: ${line//$'\t'/ }"; done <"$ROOT/.polydev/logs/images.out"
  log "runtime and login images ready in $((SECONDS - started))s"
}
