# The Docker engine the sandbox tests (and the server's default sandbox engine) talk to. Needs lib/common.sh.
# ensure_docker: when nothing answers on /var/run/docker.sock, installs Debian's docker.io (the daemon;
# /usr/local/bin/docker may be a bare client) and starts dockerd in the background, logging to
# .polydev/logs/dockerd.log. Nothing is ever pulled: no registry is reachable here, images are made locally.
# ensure_busybox: Debian's static busybox, from which the tests build their tiny image.

DOCKER_SOCKET=/var/run/docker.sock

docker_ping() {
  [[ -S $DOCKER_SOCKET ]] &&
    curl -fsS --max-time 2 --unix-socket "$DOCKER_SOCKET" http://docker/_ping >/dev/null 2>&1
}

ensure_docker() {
  local started=$SECONDS
  command -v curl >/dev/null || apt_install curl || die "could not install curl (see .polydev/logs/apt.log)"
  if docker_ping; then
    log "Docker engine: ok ($(docker_version))"
    return 0
  fi
  if [[ ! -x /usr/sbin/dockerd && ! -x /usr/bin/dockerd ]]; then
    log "Docker engine missing: apt-get install docker.io"
    apt_install docker.io || die "could not install docker.io (see .polydev/logs/apt.log)"
  fi
  # On a machine with systemd the package's unit may already be the right way to start it.
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    as_root systemctl start docker >/dev/null 2>&1 || true
    if wait_for_docker 30; then
      log "Docker engine: started by systemd in $((SECONDS - started))s ($(docker_version))"
      return 0
    fi
  fi
  local dockerd logfile="$ROOT/.polydev/logs/dockerd.log"
  dockerd="$(command -v dockerd || echo /usr/sbin/dockerd)"
  mkdir -p "${logfile%/*}"
  # A socket left by a dead daemon would make dockerd refuse to start.
  if [[ -e $DOCKER_SOCKET ]] && ! docker_ping; then as_root rm -f "$DOCKER_SOCKET"; fi
  log "starting dockerd in the background (log: ${logfile#"$ROOT"/})"
  # setsid: the daemon outlives this script and is not killed with its process group.
  as_root setsid "$dockerd" --host "unix://$DOCKER_SOCKET" >"$logfile" 2>&1 </dev/null &
  disown || true
  if ! wait_for_docker 60; then
    tail -n 15 "$logfile" >&2 || true
    die "dockerd did not answer on $DOCKER_SOCKET within 60 s (see ${logfile#"$ROOT"/})"
  fi
  log "Docker engine: started in $((SECONDS - started))s ($(docker_version))"
}

wait_for_docker() {
  local deadline=$((SECONDS + $1))
  while (( SECONDS < deadline )); do
    docker_ping && return 0
    sleep 0.2
  done
  return 1
}

docker_version() {
  curl -fsS --max-time 2 --unix-socket "$DOCKER_SOCKET" http://docker/version 2>/dev/null |
    sed -n 's/.*"Version":"\([^"]*\)".*"ApiVersion":"\([^"]*\)".*/\1, API \2/p' | head -n 1
}

ensure_busybox() {
  # busybox-static replaces Debian's dynamic busybox package; the image needs the static one.
  if [[ $(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null) != "install ok installed" ]]; then
    log "static busybox missing: apt-get install busybox-static"
    apt_install busybox-static || die "could not install busybox-static (see .polydev/logs/apt.log)"
  fi
  log "busybox (static) for the sandbox test image: ok"
}
