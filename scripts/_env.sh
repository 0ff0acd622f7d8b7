# shellcheck shell=bash
# Shared by scripts/test and scripts/develop: make sure a Python >= 3.14.2 with
# Home Assistant 2026.10.4 and our test requirements exists, then run commands in it.
#
# * Host already has python3.14 (>= 3.14.2): plain venv in .venv/.
# * Otherwise (Debian 12 hosts ship 3.11 only): a Debian sid userland built with
#   debootstrap in .sysroot/ (git-ignored), with python3.14, socat, wmbusmeters and
#   Chromium's headless shell (for the browser test);
#   commands run inside it with chroot and private mounts that vanish when the
#   command ends. Built once, reused on later runs.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SYSROOT="$REPO/.sysroot"
SID_PACKAGES="python3.14,python3.14-venv,python3.14-dev,ca-certificates,socat,wmbusmeters,git"
SID_BROWSER_PACKAGES="chromium-headless-shell fonts-liberation"
STAMP_VERSION="3"   # bump when the requirement set or the sysroot recipe changes

log() { printf '\033[1;34m[energy_meters]\033[0m %s\n' "$*" >&2; }

host_python() {
  local candidate
  for candidate in "${EM_PYTHON:-}" python3.14 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 14, 2) else 1)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

requirements_hash() {
  cat "$REPO/requirements_test.txt" "$REPO/scripts/_env.sh" | sha256sum | cut -c1-16
}

# --- mode 1: host python -----------------------------------------------------
setup_host_venv() {
  local py="$1" venv="$REPO/.venv" stamp
  stamp="$STAMP_VERSION-$(requirements_hash)"
  if [ -f "$venv/.em-stamp" ] && [ "$(cat "$venv/.em-stamp")" = "$stamp" ]; then return 0; fi
  log "creating venv with $py"
  "$py" -m venv "$venv"
  [ -x "$venv/bin/uv" ] || "$venv/bin/python" -m pip install -q uv
  "$venv/bin/uv" pip install -q --python "$venv/bin/python" -r "$REPO/requirements_test.txt"
  echo "$stamp" > "$venv/.em-stamp"
}

# --- mode 2: Debian sid root -------------------------------------------------
in_root_raw() {
  # Run "$1" (a shell command line) inside the sid root, cwd = repo, with
  # private mounts that disappear when the command exits.
  local cmd="$1"
  unshare -m --propagation private sh -c '
    set -e
    R="$1"; REPO="$2"; CMD="$3"
    mount --rbind /dev "$R/dev"
    mount -t proc proc "$R/proc"
    mount --rbind /sys "$R/sys" 2>/dev/null || true
    mkdir -p "$R$REPO"
    mount --bind "$REPO" "$R$REPO"
    cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$R" /usr/bin/env -i \
      HOME=/root PATH=/opt/em-venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      TERM="${TERM:-dumb}" LANG=C.UTF-8 SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
      UV_NATIVE_TLS=1 PIP_DISABLE_PIP_VERSION_CHECK=1 EM_IN_SYSROOT=1 \
      EM_EXTRA_ENV="${EM_EXTRA_ENV:-}" \
      /bin/bash -c "cd \"$REPO\" && $CMD"
  ' em-root "$SYSROOT" "$REPO" "$cmd"
}

setup_sysroot() {
  local stamp
  stamp="$STAMP_VERSION-$(requirements_hash)"
  if [ -f "$SYSROOT/.em-stamp" ] && [ "$(cat "$SYSROOT/.em-stamp")" = "$stamp" ]; then return 0; fi
  if [ ! -x "$SYSROOT/usr/bin/python3.14" ] || [ ! -f "$SYSROOT/.em-base-$STAMP_VERSION" ]; then
    if ! command -v debootstrap >/dev/null 2>&1; then
      log "installing debootstrap (apt)"
      DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
    log "building Debian sid root in .sysroot (python3.14, socat, wmbusmeters)"
    rm -rf "$SYSROOT"
    debootstrap --variant=minbase --include="$SID_PACKAGES" \
      sid "$SYSROOT" http://deb.debian.org/debian >"$REPO/.sysroot-debootstrap.log" 2>&1 || {
        log "debootstrap failed, see .sysroot-debootstrap.log"; exit 1; }
    touch "$SYSROOT/.em-base-$STAMP_VERSION"
  fi
  # outbound TLS goes through a proxy whose CA only the host bundle has
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$SYSROOT/etc/ssl/certs/ca-certificates.crt"
  fi
  log "installing Python requirements in the sid root"
  in_root_raw '
    [ -x /opt/em-venv/bin/python ] || python3.14 -m venv /opt/em-venv
    [ -x /opt/em-venv/bin/uv ] || /opt/em-venv/bin/python -m pip install -q uv
    /opt/em-venv/bin/uv pip install -q --python /opt/em-venv/bin/python -r requirements_test.txt'
  # the browser test (tests/e2e/test_browser.py) drives Debian's headless Chromium (the
  # headless shell: no GTK, 171 MB to fetch instead of 218 MB for chromium); added to an
  # existing root (not in debootstrap's list, so the base root is not rebuilt), with one
  # font family for text the frontend draws without its own web fonts
  in_root_raw "
    set -e
    if ! command -v chromium-headless-shell >/dev/null; then
      echo 'installing chromium-headless-shell in the Debian root (once)' >&2
      export DEBIAN_FRONTEND=noninteractive
      # the package mirror can lag the clock: do not reject its Release file as expired
      apt-get -o Acquire::Check-Valid-Until=false update -qq >/dev/null
      apt-get install -y -qq --no-install-recommends $SID_BROWSER_PACKAGES >/dev/null
      apt-get clean
    fi"
  echo "$stamp" > "$SYSROOT/.em-stamp"
}

# --- public API ----------------------------------------------------------------
em_setup() {
  local py
  if [ "${EM_IN_SYSROOT:-}" = "1" ]; then return 0; fi
  # one setup at a time (parallel scripts/test and scripts/develop)
  exec 9>"$REPO/.em-setup.lock"
  flock 9
  if py="$(host_python)"; then
    EM_MODE=host; setup_host_venv "$py"
  else
    EM_MODE=sysroot; setup_sysroot
  fi
  flock -u 9
  export EM_MODE
}

# em_run "shell command": runs with the right python first on PATH, cwd = repo.
em_run() {
  if [ "${EM_IN_SYSROOT:-}" = "1" ]; then (cd "$REPO" && bash -c "$1"); return; fi
  if [ "$EM_MODE" = host ]; then
    (cd "$REPO" && PATH="$REPO/.venv/bin:$PATH" bash -c "$1")
  else
    in_root_raw "$1"
  fi
}
