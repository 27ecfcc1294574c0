# shellcheck shell=bash
# Shared by the bash scripts in scripts/.
#
# Finds a Python >= 3.14.2 (what Home Assistant 2026.x needs). When the
# machine has none, builds a Debian unstable userland with debootstrap and
# runs everything inside it with chroot. The userland and the two virtual
# environments (the tests', and the newest Home Assistant release's) live in
# a cache outside the checkout, so that a fresh clone (as CI makes) reuses
# them, and a second run does no network work it already did.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${SMS_CREDIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sms-credit}"
ROOTFS="$CACHE_DIR/sid-rootfs"
REQUIREMENTS="$REPO_ROOT/requirements_test.txt"
NEWEST_REQUIREMENTS="$REPO_ROOT/requirements_ha_newest.txt"
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
# voice components), the browser (with a font) that the end-to-end test
# drives, and ShellCheck for scripts/lint_ci.py.
BROWSER_PACKAGES="chromium fonts-dejavu-core"
ROOTFS_PACKAGES="python3.14 python3.14-venv python3.14-dev gcc g++ ca-certificates shellcheck $BROWSER_PACKAGES"
# What debootstrap itself installs. The rest comes with apt-get afterwards:
# debootstrap cannot configure some of chromium's dependencies (dconf-service)
# in its own minimal environment, apt-get in the finished userland can.
ROOTFS_BASE_PACKAGES="python3.14 python3.14-venv ca-certificates"

# Runs a command as root inside the userland, with /proc and /dev mounted in
# a private mount namespace (nothing stays mounted afterwards).
in_rootfs() {
  # shellcheck disable=SC2016 # the inner bash expands them
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
    # CI on a runner with Python 3.14 sets this: a missing Python is then a
    # broken runner, not a reason to build a userland.
    [ -z "${SMS_CREDIT_NO_USERLAND:-}" ] \
      || die "no Python >= 3.14.2 found (SMS_CREDIT_PYTHON=${SMS_CREDIT_PYTHON:-}), and SMS_CREDIT_NO_USERLAND forbids the fallback userland"
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
  # shellcheck disable=SC2016 # the inner bash expands them
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

# The end-to-end test drives Debian's Chromium, and scripts/lint_ci.py needs
# ShellCheck. In the userland both come with ROOTFS_PACKAGES; with a host
# Python, what is missing is installed with apt-get (as root on a Debian-like
# host). Without Chromium the end-to-end test skips, saying why; without
# ShellCheck the lint fails, saying why.
ensure_host_packages() {
  [ "$MODE" = host ] || return 0
  local missing=()
  # shellcheck disable=SC2206 # the list is meant to split
  [ -x "${SMS_CREDIT_CHROMIUM:-/usr/bin/chromium}" ] || missing+=($BROWSER_PACKAGES)
  command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]}"
    if apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
      return 0
    fi
  fi
  log "not installed (needs root and apt-get): ${missing[*]}"
}

# True when the stamp in $1 holds the hash $2 (what was installed there).
venv_current() {
  [ -f "$1/.requirements.sha256" ] && [ "$(cat "$1/.requirements.sha256")" = "$2" ]
}

# Creates the virtual environment $1 when it does not exist yet.
make_venv() {
  if [ "$MODE" = host ]; then
    [ -x "$1/bin/python" ] || "$PYTHON" -m venv "$1"
  else
    [ -x "$ROOTFS$1/bin/python" ] || chroot "$ROOTFS" "$PYTHON" -m venv "$1"
  fi
  in_env "$1/bin/python" -m pip install --quiet --upgrade pip
}

# Creates the virtual environment and installs the pinned requirements when
# they changed since the last install (a stamp holds their hash); then the
# newest Home Assistant's environment.
ensure_venv() {
  select_python
  ensure_host_packages
  local stamp_dir want
  if [ "$MODE" = host ]; then stamp_dir="$VENV"; else stamp_dir="$ROOTFS$VENV"; fi
  want="$(cat "$REQUIREMENTS" "$REPO_ROOT/scripts/lib.sh" | sha256sum | cut -d' ' -f1)"
  if ! venv_current "$stamp_dir" "$want"; then
    log "installing the pinned test requirements into $VENV ($MODE)"
    make_venv "$VENV"
    in_env python -m pip install --quiet -r requirements_test.txt
    echo "$want" >"$stamp_dir/.requirements.sha256"
  fi
  ensure_newest_ha
}

# The newest Home Assistant release, in a virtual environment of its own: the
# end-to-end and smoke tests (tests/e2e) start it beside the tests' release,
# and `scripts/develop --newest` runs it. The unit tests stay on the release
# the test plugin pins. Home Assistant goes in first; the components'
# requirements follow under its own package constraints. Exports the
# interpreter as SMS_CREDIT_HA_NEWEST_PYTHON, which in_env passes on.
ensure_newest_ha() {
  local venv stamp_dir want constraints
  if [ "$MODE" = host ]; then venv="$CACHE_DIR/venv-ha-newest"; else venv=/opt/sms-credit-venv-ha-newest; fi
  if [ "$MODE" = host ]; then stamp_dir="$venv"; else stamp_dir="$ROOTFS$venv"; fi
  export SMS_CREDIT_HA_NEWEST_PYTHON="$venv/bin/python"
  want="$(cat "$NEWEST_REQUIREMENTS" "$REPO_ROOT/scripts/lib.sh" | sha256sum | cut -d' ' -f1)"
  venv_current "$stamp_dir" "$want" && return
  log "installing the newest Home Assistant release into $venv ($MODE)"
  make_venv "$venv"
  in_env "$venv/bin/python" -m pip install --quiet "$(grep -E '^homeassistant==' "$NEWEST_REQUIREMENTS")"
  constraints="$(in_env "$venv/bin/python" -c 'import homeassistant, pathlib; print(pathlib.Path(homeassistant.__file__).with_name("package_constraints.txt"))')"
  in_env "$venv/bin/python" -m pip install --quiet -r requirements_ha_newest.txt -c "$constraints"
  echo "$want" >"$stamp_dir/.requirements.sha256"
}
