# The browsers the web client's tests drive (tests/Polydev.EndToEnd.Tests/Web): Debian's chromium, through Playwright
# for .NET, and Debian's firefox-esr, through WebDriver BiDi (Web/Firefox). Playwright never downloads a browser of
# its own here; the tests find these through POLYDEV_CHROMIUM and POLYDEV_FIREFOX.
# Needs lib/common.sh.

CHROMIUM=/usr/bin/chromium
FIREFOX=/usr/bin/firefox-esr

# ensure_chromium: apt-get install chromium when it is missing; exports POLYDEV_CHROMIUM.
ensure_chromium() {
  if [[ ! -x $CHROMIUM ]]; then
    log "chromium missing: apt-get install chromium"
    apt_install chromium || die "could not install chromium (see .polydev/logs/apt.log)"
  fi
  export POLYDEV_CHROMIUM=$CHROMIUM
  log "chromium for the browser tests: ok ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
}

# ensure_firefox: apt-get install firefox-esr when it is missing; exports POLYDEV_FIREFOX. The tests speak WebDriver
# BiDi to it directly (Firefox >= 129 serves it on --remote-debugging-port), so no geckodriver is needed.
ensure_firefox() {
  if [[ ! -x $FIREFOX ]]; then
    log "firefox-esr missing: apt-get install firefox-esr"
    apt_install firefox-esr || die "could not install firefox-esr (see .polydev/logs/apt.log)"
  fi
  export POLYDEV_FIREFOX=$FIREFOX
  log "firefox for the browser tests: ok ($("$FIREFOX" --version 2>/dev/null | head -n 1))"
}
