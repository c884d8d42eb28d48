# shellcheck shell=bash
# The monitoring tools the tests of deploy/monitoring/ run for real (docs/operations.md, "Monitoring"): Debian's
# prometheus (prometheus, promtool), prometheus-alertmanager (amtool) and prometheus-node-exporter. The tests start
# the binaries themselves on ports of their own; the packages' own services are kept off, as Squid's and coturn's
# are. Needs lib/common.sh.

# ensure_monitoring_tools: apt-get install what is missing, then stop and disable the services the packages start.
ensure_monitoring_tools() {
  local missing=()
  command -v prometheus >/dev/null || missing+=(prometheus)
  command -v amtool >/dev/null || missing+=(prometheus-alertmanager)
  command -v prometheus-node-exporter >/dev/null || missing+=(prometheus-node-exporter)
  if (( ${#missing[@]} )); then
    log "monitoring tools missing: apt-get install ${missing[*]}"
    apt_install "${missing[@]}" || die "could not install ${missing[*]} (see .polydev/logs/apt.log)"
    keep_monitoring_services_off "${missing[@]}"
  fi
  log "monitoring tools: ok (prometheus $(prometheus --version 2>&1 | awk 'NR==1 {print $3}'), amtool $(amtool --version 2>&1 | awk 'NR==1 {print $3}'), node exporter $(prometheus-node-exporter --version 2>&1 | awk 'NR==1 {print $3}'))"
}

# keep_monitoring_services_off PACKAGE...: the packages enable and start their daemons on 9090, 9093 and 9100; the tests
# run their own, so the system-wide ones (which an operator sets up from deploy/monitoring/, not from here) go again.
keep_monitoring_services_off() {
  local service
  for service in "$@"; do
    if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
      as_root systemctl disable --now "$service" >/dev/null 2>&1 || true
    elif [[ -x /etc/init.d/$service ]]; then
      as_root "/etc/init.d/$service" stop >/dev/null 2>&1 || true
    fi
  done
}
