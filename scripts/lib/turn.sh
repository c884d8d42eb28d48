# shellcheck shell=bash
# The TURN server of login sessions (docs/login-sessions.md, "TURN"). Needs lib/common.sh.
# ensure_coturn: Debian's coturn, which `polydev server` runs itself (Login:Turn:Mode embedded, the default) with the
# config it writes into its data directory, and which the TURN tests run. Nothing here starts coturn: the server
# supervises it. Debian's own coturn service is kept off, since a second coturn on the port would share it with the
# server's (coturn binds with SO_REUSEPORT) and answer with another secret.
ensure_coturn() {
  if [[ ! -x /usr/bin/turnserver ]]; then
    log "coturn missing: apt-get install coturn"
    apt_install coturn || die "could not install coturn (see .polydev/logs/apt.log)"
  fi
  keep_coturn_service_off
  log "coturn for the embedded TURN server: ok ($(/usr/bin/turnserver --version 2>/dev/null | head -n 1))"
}

keep_coturn_service_off() {
  # systemd hosts: the package enables and starts coturn.service when it is installed.
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    if systemctl is-enabled --quiet coturn 2>/dev/null || systemctl is-active --quiet coturn 2>/dev/null; then
      log "disabling Debian's coturn service: the Polydev server runs coturn itself"
      as_root systemctl disable --now coturn >/dev/null 2>&1 || log "WARNING: could not disable coturn.service; stop it before starting the server"
    fi
  fi
  # Without systemd, /etc/init.d/coturn starts only with TURNSERVER_ENABLED=1 in /etc/default/coturn (off as shipped):
  # an operator's choice, which this script reports rather than undoes.
  if [[ -f /etc/default/coturn ]] && grep -q '^[[:space:]]*TURNSERVER_ENABLED=1' /etc/default/coturn; then
    log "WARNING: /etc/default/coturn enables Debian's coturn service; the Polydev server runs its own coturn on Login:Turn:ListeningPort"
  fi
}

# ensure_novnc: Debian's noVNC, which the server serves at /novnc/ (Login:Sessions:NoVncDirectory) for the viewer's
# encrypted fallback when WebRTC cannot connect (docs/login-sessions.md, "The fallback").
ensure_novnc() {
  if [[ ! -f /usr/share/novnc/core/rfb.js ]]; then
    log "noVNC missing: apt-get install novnc"
    apt_install novnc || die "could not install novnc (see .polydev/logs/apt.log)"
  fi
  log "noVNC for the login viewer's fallback: ok ($(dpkg-query -W -f='${Version}' novnc 2>/dev/null))"
}
