# shellcheck shell=bash
# Shared by scripts/setup, scripts/develop, scripts/test and scripts/bench.
#
# Finds a Python >= 3.14.2 (what Home Assistant 2026.x needs). When the
# machine has none, builds a Debian unstable userland with debootstrap and
# runs everything inside it with chroot. The userland and the virtual
# environment live in a cache outside the checkout, so that a fresh clone (as
# CI makes) reuses them, and a second run does no network work it already did.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${SMS_CREDIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sms-credit}"
ROOTFS="$CACHE_DIR/sid-rootfs"
REQUIREMENTS="$REPO_ROOT/requirements_test.txt"
DEBIAN_MIRROR="${SMS_CREDIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# True when $1 is a Python interpreter of at least 3.14.2.
python_ok() {
  "$1" -c 'import sys; sys.exit(sys.version_info < (3, 14, 2))' 2>/dev/null
}

# Prints the path of a suitable host Python, or nothing.
find_host_python() {
  local candidate
  for candidate in "${SMS_CREDIT_PYTHON:-}" python3.14 python3; do
    [ -n "$candidate" ] || continue
    candidate="$(command -v "$candidate" 2>/dev/null)" || continue
    if python_ok "$candidate"; then
      echo "$candidate"
      return
    fi
  done
  if command -v uv >/dev/null 2>&1; then
    candidate="$(uv python find '>=3.14.2' 2>/dev/null)" || candidate=""
    if [ -z "$candidate" ] && uv python install 3.14 >/dev/null 2>&1; then
      candidate="$(uv python find '>=3.14.2' 2>/dev/null)" || candidate=""
    fi
    if [ -n "$candidate" ] && python_ok "$candidate"; then
      echo "$candidate"
    fi
  fi
}

# What the userland holds: Python 3.14, compilers for the few packages that
# Home Assistant builds from source when the development instance starts (its
# voice components), and the browser (with a font) that the end-to-end test
# drives.
BROWSER_PACKAGES="chromium fonts-dejavu-core"
ROOTFS_PACKAGES="python3.14 python3.14-venv python3.14-dev gcc g++ ca-certificates $BROWSER_PACKAGES"
# What debootstrap itself installs. The rest comes with apt-get afterwards:
# debootstrap cannot configure some of chromium's dependencies (dconf-service)
# in its own minimal environment, apt-get in the finished userland can.
ROOTFS_BASE_PACKAGES="python3.14 python3.14-venv ca-certificates"

# Runs a command as root inside the userland, with /proc and /dev mounted in
# a private mount namespace (nothing stays mounted afterwards).
in_rootfs() {
  unshare --mount --propagation private -- bash -euc '
    root="$1"; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    exec chroot "$root" "$@"
  ' _ "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive "$@"
}

# Builds the Debian unstable userland once; later calls only refresh the
# host's CA bundle and resolver settings in it, and add packages when
# ROOTFS_PACKAGES changed.
ensure_rootfs() {
  if [ ! -x "$ROOTFS/usr/bin/python3.14" ]; then
    [ "$(id -u)" = 0 ] || die "no Python >= 3.14.2 found, and building the fallback userland needs root"
    if ! command -v debootstrap >/dev/null 2>&1; then
      log "installing debootstrap"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
    log "building a Debian unstable userland with Python 3.14 in $ROOTFS (once)"
    rm -rf "$ROOTFS.partial"
    mkdir -p "$CACHE_DIR"
    debootstrap --variant=minbase --include="${ROOTFS_BASE_PACKAGES// /,}" \
      sid "$ROOTFS.partial" "$DEBIAN_MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 \
      || die "debootstrap failed, see $CACHE_DIR/debootstrap.log"
    mv "$ROOTFS.partial" "$ROOTFS"
  fi
  cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
  cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  if [ -f /etc/pip.conf ]; then cp /etc/pip.conf "$ROOTFS/etc/pip.conf"; fi
  if [ "$(cat "$ROOTFS/.sms-credit-packages" 2>/dev/null)" != "$ROOTFS_PACKAGES" ]; then
    log "adding packages to the userland: $ROOTFS_PACKAGES"
    # shellcheck disable=SC2086 # the list is meant to split
    in_rootfs bash -c "apt-get -o Acquire::Check-Valid-Until=false update -qq && apt-get install -y -qq $ROOTFS_PACKAGES >/dev/null" \
      || die "installing packages into the userland failed"
    echo "$ROOTFS_PACKAGES" >"$ROOTFS/.sms-credit-packages"
  fi
}

# Decides where Python runs. Sets MODE (host|chroot), VENV and PYTHON.
select_python() {
  local host_python
  host_python="$(find_host_python)"
  if [ -n "$host_python" ]; then
    MODE=host
    PYTHON="$host_python"
    VENV="$CACHE_DIR/venv"
  else
    MODE=chroot
    ensure_rootfs
    PYTHON=/usr/bin/python3.14
    # The venv lives inside the userland, at a path valid inside the chroot.
    VENV=/opt/sms-credit-venv
  fi
}

# Runs a command with the virtual environment first on PATH, in the
# checkout, on the host or inside the userland. In the userland, a private
# mount namespace holds /proc, /dev and the checkout (at the same absolute
# path), so nothing stays mounted after the command ends.
in_env() {
  local env_vars=(
    "PATH=$VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    "VIRTUAL_ENV=$VENV"
    "HOME=${HOME:-/root}"
    "LANG=C.UTF-8"
    "PYTHONDONTWRITEBYTECODE=${PYTHONDONTWRITEBYTECODE:-}"
    "CI=${CI:-}"
    "TERM=${TERM:-dumb}"
    # Home Assistant installs packages with uv, which trusts only this bundle
    # when told so (downloads may pass through a TLS-inspecting proxy).
    "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
  )
  local name
  while IFS= read -r name; do
    env_vars+=("$name=${!name}")
  done < <(compgen -e | grep -E '^(PIP_|UV_|HTTPS?_PROXY$|NO_PROXY$|https?_proxy$|no_proxy$|SMS_CREDIT_)' || true)
  if [ "$MODE" = host ]; then
    (cd "$REPO_ROOT" && env "${env_vars[@]}" "$@")
    return
  fi
  local pwd_q cmd_q
  printf -v pwd_q '%q' "$REPO_ROOT"
  printf -v cmd_q '%q ' "$@"
  unshare --mount --propagation private -- bash -euc '
    root="$1"; repo="$2"; shift 2
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mkdir -p "$root$repo" "$root/tmp"
    mount --bind "$repo" "$root$repo"
    exec chroot "$root" "$@"
  ' _ "$ROOTFS" "$REPO_ROOT" /usr/bin/env -i "${env_vars[@]}" \
    /bin/bash -c "cd $pwd_q && exec $cmd_q"
}

# The end-to-end test drives Debian's Chromium. In the userland it comes with
# ROOTFS_PACKAGES; with a host Python it is installed with apt-get when
# missing (as root on a Debian-like host), else the test skips, saying why.
ensure_browser() {
  [ "$MODE" = host ] || return 0
  [ -x "${SMS_CREDIT_CHROMIUM:-/usr/bin/chromium}" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing $BROWSER_PACKAGES for the end-to-end test"
    # shellcheck disable=SC2086 # the list is meant to split
    if apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $BROWSER_PACKAGES >/dev/null; then
      return 0
    fi
  fi
  log "no Chromium at ${SMS_CREDIT_CHROMIUM:-/usr/bin/chromium}: the end-to-end test will skip"
}

# Creates the virtual environment and installs the pinned requirements when
# they changed since the last install (a stamp holds their hash).
ensure_venv() {
  select_python
  ensure_browser
  local stamp_dir want
  if [ "$MODE" = host ]; then stamp_dir="$VENV"; else stamp_dir="$ROOTFS$VENV"; fi
  want="$(cat "$REQUIREMENTS" "$REPO_ROOT/scripts/lib.sh" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp_dir/.requirements.sha256" ] \
    && [ "$(cat "$stamp_dir/.requirements.sha256")" = "$want" ]; then
    return
  fi
  log "installing the pinned test requirements into $VENV ($MODE)"
  if [ ! -x "$stamp_dir/bin/python" ]; then
    if [ "$MODE" = host ]; then
      "$PYTHON" -m venv "$VENV"
    else
      chroot "$ROOTFS" "$PYTHON" -m venv "$VENV"
    fi
  fi
  in_env python -m pip install --quiet --upgrade pip
  in_env python -m pip install --quiet -r requirements_test.txt
  echo "$want" >"$stamp_dir/.requirements.sha256"
}
