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
# packages of images/login/Dockerfile besides chromium. ensure_login_desktop installs those missing.
LOGIN_DESKTOP_PACKAGES=(
  xvfb fonts-dejavu-core fonts-liberation2
  libgstreamer1.0-0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-nice gstreamer1.0-x gstreamer1.0-tools
  x11vnc x11-xserver-utils xclip libxtst6 libxfixes3 libnss3-tools
)

ensure_login_desktop() {
  local package missing=()
  for package in "${LOGIN_DESKTOP_PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == "install ok installed" ]] || missing+=("$package")
  done
  if ((${#missing[@]} > 0)); then
    log "login desktop missing for the agent's login tests: apt-get install ${missing[*]}"
    apt_install "${missing[@]}" || die "could not install ${missing[*]} (see .polydev/logs/apt.log)"
  fi
  log "login desktop for the agent's login tests: ok (Xvfb, x11vnc, GStreamer $(gst-inspect-1.0 --version | awk 'NR == 2 {print $2}'))"
}
