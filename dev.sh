#!/usr/bin/env bash
# RentGuy Kiosk developer entry point. Each command sets up what it needs first:
#   ./dev.sh run    server on SQLite with demo data + the kiosk window connected to it
#   ./dev.sh test   the whole test suite (SQLite and PostgreSQL), plus ruff and mypy
#   ./dev.sh setup  only the set-up (system packages, virtualenv, pinned Python packages)
#   ./dev.sh lock   re-pin constraints.txt from the current virtualenv
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV=${RENTGUY_VENV:-$ROOT/.venv}
PY=${PYTHON:-python3}
PORT=${RENTGUY_PORT:-8765}

# Debian packages: libzbar0 (pyzbar), fonts (Qt draws empty boxes without one), the libs
# Qt's xcb/offscreen platforms load, and Xvfb for a window on a machine without a screen.
APT_PACKAGES=(libzbar0 fonts-dejavu-core libgl1 libegl1 libglib2.0-0 libfontconfig1
  libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-randr0 libxcb-xkb1 xvfb xauth
  shellcheck desktop-file-utils  # the installer tests lint scripts and the .desktop file
  systemd  # systemd-analyze verify on every unit (tests/installers)
  postgresql-client  # pg_dump / pg_restore: the backup-and-restore test (docs/operations.md)
  chromium)  # the admin console's browser tests (Playwright drives it; no browser download)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

setup_system() {
  command -v dpkg-query >/dev/null || { log "not Debian/Ubuntu: install ${APT_PACKAGES[*]} by hand"; return; }
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages; as root run: apt-get install --no-install-recommends ${missing[*]}"
    return
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_python() {
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "Python 3.11+ is needed (found $("$PY" --version))" >&2; exit 1; }
  [ -x "$VENV/bin/python" ] || { log "creating virtualenv $VENV"; "$PY" -m venv "$VENV"; }
  # Reinstall only when the dependency files changed since the last successful install.
  local stamp="$VENV/.rentguy-installed"
  local want; want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing pinned Python packages"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -c constraints.txt -e ".[test]"
    echo "$want" > "$stamp"
  fi
}

setup() { setup_system; setup_python; }

secret_key() {
  # Never from the repo: taken from the environment, else generated once into var/.
  if [ -z "${RENTGUY_SECRET_KEY:-}" ]; then
    mkdir -p var
    [ -s var/secret.key ] || (umask 077; "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))' > var/secret.key)
    RENTGUY_SECRET_KEY=$(cat var/secret.key)
  fi
  export RENTGUY_SECRET_KEY
}

run() {
  setup
  secret_key
  export RENTGUY_DATABASE_URL=${RENTGUY_DATABASE_URL:-sqlite:///$ROOT/var/rentguy.sqlite3}
  local server="$VENV/bin/rentguy-server"
  "$server" migrate
  "$server" seed-demo --out var/demo.json
  mkdir -p var/kiosk
  (umask 077; "$VENV/bin/python" -c 'import json,sys; print(json.load(open("var/demo.json"))["station_token"])' > var/kiosk/station-token)
  cat > var/kiosk.toml <<TOML
server_url = "http://127.0.0.1:$PORT"
data_dir = "$ROOT/var/kiosk"
station_token_file = "$ROOT/var/kiosk/station-token"
TOML
  log "starting server on http://127.0.0.1:$PORT (logs: var/server.log)"
  "$server" serve --port "$PORT" > var/server.log 2>&1 &
  SERVER_PID=$!  # global: the EXIT trap runs after this function has returned
  trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 1 60); do
    "$VENV/bin/python" -c "import httpx,sys; sys.exit(httpx.get('http://127.0.0.1:$PORT/readyz').status_code != 200)" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat var/server.log >&2; exit 1; }
    sleep 0.5
  done
  log "demo: badge $(grep -o '"badge_code": "[^"]*"' var/demo.json | cut -d'"' -f4), admin badge $(grep -o '"admin_badge_code": "[^"]*"' var/demo.json | cut -d'"' -f4) PIN $(grep -o '"admin_pin": "[^"]*"' var/demo.json | cut -d'"' -f4), see var/demo.json"
  local kiosk=("$VENV/bin/rentguy-kiosk" --config var/kiosk.toml "$@")
  if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${QT_QPA_PLATFORM:-}" != offscreen ]; then
    log "no screen found: running the kiosk on a virtual X display (xvfb-run)"
    xvfb-run -a -s "-screen 0 1280x800x24" "${kiosk[@]}"
  else
    "${kiosk[@]}"
  fi
}

run_tests() {
  setup
  log "ruff"
  "$VENV/bin/ruff" check .
  # Files and strictness in pyproject.toml [tool.mypy]; the cache in .mypy_cache keeps re-runs fast.
  log "mypy"
  "$VENV/bin/mypy"
  # One pytest worker per core (RENTGUY_TEST_WORKERS=0 runs in one process, e.g. to debug).
  # worksteal: the long fuzz and fault tests do not leave the other core idle at the end.
  local workers=${RENTGUY_TEST_WORKERS:-auto}
  log "pytest ($workers workers)"
  QT_QPA_PLATFORM=offscreen "$VENV/bin/python" -m pytest -n "$workers" --dist worksteal "$@"
}

case "${1:-}" in
  run) shift; run "$@" ;;
  test) shift; run_tests "$@" ;;
  setup) setup ;;
  lock) setup_python
        { echo "# Pinned versions for reproducible installs: ./dev.sh installs with 'pip install -c constraints.txt'."
          echo "# Regenerate after changing pyproject.toml: ./dev.sh lock"
          "$VENV/bin/python" -m pip freeze --exclude-editable; } > constraints.txt ;;
  *) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
