# shellcheck shell=bash
# The deploy tests' stand-in VPS and release (tests/Polydev.EndToEnd.Tests/Deploy, docs/deploy.md). Needs
# lib/common.sh, ensure_docker and ensure_runtime_images (which makes the Debian base this image starts from).

DEPLOY_TARGET_REPOSITORY=polydev-test/deploy-target

# ensure_ssh_client: ssh, ssh-keygen and ssh-keyscan, which scripts/deploy and its tests use.
ensure_ssh_client() {
  command -v ssh >/dev/null && command -v ssh-keygen >/dev/null && return 0
  log "ssh missing: apt-get install openssh-client"
  apt_install openssh-client || die "could not install openssh-client (see .polydev/logs/apt.log)"
}

# ensure_systemd_analyze: systemd-analyze (Debian's systemd package), which loads deploy/systemd in the tests
# (tests/Polydev.Operations.Tests/Systemd). Installing the package does not make systemd PID 1.
ensure_systemd_analyze() {
  command -v systemd-analyze >/dev/null && return 0
  log "systemd-analyze missing: apt-get install systemd"
  apt_install systemd || die "could not install systemd (see .polydev/logs/apt.log)"
}

# deploy_target_tag: the tag of images/deploy-target/Dockerfile built on the current Debian base, the first 16 hex
# digits of a SHA-256 over the Dockerfile, a newline and the base's image id (DeployTarget.cs computes the same).
deploy_target_tag() {
  local base="$1" base_id
  base_id="$(docker image inspect -f '{{.Id}}' "$base" 2>/dev/null)" || return 1
  { cat "$ROOT/images/deploy-target/Dockerfile"; printf '\n%s' "$base_id"; } | sha256sum | cut -c1-16
}

# ensure_deploy_target_image: polydev-test/deploy-target:<tag> (Debian 12, systemd as PID 1, sshd), built when missing.
# The build downloads its packages from the base's mirror (about 150 MB, a minute); later runs reuse the image.
ensure_deploy_target_image() {
  local codename base tag started=$SECONDS
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
  base="polydev/debian-base:$codename"
  tag="$(deploy_target_tag "$base")" || die "the Debian base $base is missing (ensure_runtime_images makes it with debootstrap)"
  if docker image inspect "$DEPLOY_TARGET_REPOSITORY:$tag" >/dev/null 2>&1; then
    log "deploy target image: up to date ($DEPLOY_TARGET_REPOSITORY:$tag)"
    return 0
  fi
  log "building the deploy target image $DEPLOY_TARGET_REPOSITORY:$tag (log: .polydev/logs/deploy-target.log)"
  mkdir -p "$ROOT/.polydev/logs"
  if ! docker build -t "$DEPLOY_TARGET_REPOSITORY:$tag" --build-arg "BASE=$base" "$ROOT/images/deploy-target" \
      >"$ROOT/.polydev/logs/deploy-target.log" 2>&1; then
    tail -n 15 "$ROOT/.polydev/logs/deploy-target.log" >&2
    die "docker build of images/deploy-target failed (see .polydev/logs/deploy-target.log)"
  fi
  log "deploy target image built in $((SECONDS - started))s"
}

# ensure_deploy_test_release: a release archive of this checkout (scripts/release), rebuilt only when the sources it
# is made of change (src/, web/dist, the build props, the agent); its path is written to .polydev/releases/test-release,
# where the deploy tests read it. The version is 0.0.0-test.<12 hex of that hash>.
ensure_deploy_test_release() {
  local stamp archive pointer="$ROOT/.polydev/releases/test-release" started=$SECONDS
  stamp="$(cd "$ROOT" && find src web/dist \( -name bin -o -name obj \) -prune -o -type f -print0 | sort -z | xargs -0 sha256sum |
    cat - Directory.Build.props Directory.Packages.props global.json "$ROOT/.polydev/agent/polydev-agent" 2>/dev/null | sha256sum | cut -c1-12)"
  archive="$ROOT/.polydev/releases/polydev-0.0.0-test.$stamp-linux-x64.tar.gz"
  if [[ -f $archive && $(cat "$pointer" 2>/dev/null) == "$archive" ]]; then
    log "deploy test release: up to date (${archive#"$ROOT"/})"
    return 0
  fi
  log "building the deploy test release 0.0.0-test.$stamp (scripts/release)"
  POLYDEV_RELEASE_VERSION="0.0.0-test.$stamp" "$ROOT/scripts/release" || die "scripts/release failed"
  # Only the newest test release is kept: each is about 50 MB.
  find "$ROOT/.polydev/releases" -maxdepth 1 -name 'polydev-0.0.0-test.*' ! -name "${archive##*/}*" -delete
  echo "$archive" >"$pointer"
  log "deploy test release built in $((SECONDS - started))s"
}
