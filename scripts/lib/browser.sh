# The browser the web client's tests drive (Playwright for .NET, tests/Polydev.EndToEnd.Tests/Web): Debian's
# chromium. Playwright never downloads a browser of its own here; the tests find this one through POLYDEV_CHROMIUM.
# Needs lib/common.sh.

CHROMIUM=/usr/bin/chromium

# ensure_chromium: apt-get install chromium when it is missing; exports POLYDEV_CHROMIUM.
ensure_chromium() {
  if [[ ! -x $CHROMIUM ]]; then
    log "chromium missing: apt-get install chromium"
    apt_install chromium || die "could not install chromium (see .polydev/logs/apt.log)"
  fi
  export POLYDEV_CHROMIUM=$CHROMIUM
  log "chromium for the browser tests: ok ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
}
