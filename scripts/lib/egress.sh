# Tools the egress tests and benchmark run for real. Needs lib/common.sh.
# Squid stands in for the upstream proxy (Decodo), htpasswd (apache2-utils) makes its password file,
# curl is the client the issue names. Each test class starts its own Squid on its own port.

ensure_egress_tools() {
  local missing=()
  [[ -x /usr/sbin/squid ]] || command -v squid >/dev/null || missing+=(squid)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v curl >/dev/null || missing+=(curl)
  if (( ${#missing[@]} )); then
    log "egress test tools missing: apt-get install ${missing[*]}"
    apt_install "${missing[@]}" || die "could not install ${missing[*]} (see .polydev/logs/apt.log)"
    # The package starts a system-wide Squid on :3128; the tests start their own, so stop it again.
    if [[ " ${missing[*]} " == *" squid "* ]] && command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
      as_root systemctl disable --now squid >/dev/null 2>&1 || true
    fi
  fi
  log "Squid $(/usr/sbin/squid -v 2>/dev/null | awk 'NR==1 {print $4}'), htpasswd, curl: ok"
}
