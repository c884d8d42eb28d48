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

# The login sandbox's desktop, which the agent's login tests (tests/Polydev.Agent.Tests/Login) run on this host: the
# packages images/login/Dockerfile installs, read from its apt-get install (up to the line that ends the command), so
# the tests' desktop is the image's. ensure_login_desktop installs those missing.
login_desktop_packages() {
  awk '/apt-get install/ { on = 1 } on { print } on && /;/ { exit }' "$ROOT/images/login/Dockerfile" |
    tr -d '\\;' | tr -s ' \t' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]*$' | grep -vxE 'apt-get|install'
}

ensure_login_desktop() {
  local package missing=()
  for package in $(login_desktop_packages); do
    [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == "install ok installed" ]] || missing+=("$package")
  done
  if ((${#missing[@]} > 0)); then
    log "login desktop missing for the agent's login tests: apt-get install ${missing[*]}"
    apt_install "${missing[@]}" || die "could not install ${missing[*]} (see .polydev/logs/apt.log)"
  fi
  log "login desktop for the agent's login tests: ok (Xvfb, x11vnc, GStreamer $(gst-inspect-1.0 --version | awk 'NR == 2 {print $2}'))"
}
