#!/usr/bin/env bash
# Build the frozen kiosk into dist/rentguy-kiosk/ (at the repo root) with the project venv,
# then run the bundle's --self-test. Usage: installers/kiosk/build.sh
#   VENV=/path/to/venv  use another venv (default: <repo>/.venv)
#   SKIP_SELFTEST=1     build only (e.g. on a machine without libzbar0)
set -euo pipefail

# Pinned: a new PyInstaller or hooks release can change what gets bundled.
PYINSTALLER_VERSION=6.22.3  # as in constraints.txt
HOOKS_CONTRIB_VERSION=2026.9

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${VENV:-$repo/.venv}
python=$venv/bin/python
[ -x "$python" ] || { echo "no venv at $venv (set VENV=...)" >&2; exit 1; }

constraints=()
[ -f "$repo/constraints.txt" ] && constraints=(-c "$repo/constraints.txt")
"$python" -m pip install --quiet "${constraints[@]}" \
    "pyinstaller==$PYINSTALLER_VERSION" "pyinstaller-hooks-contrib==$HOOKS_CONTRIB_VERSION"

cd "$repo"
# Work files go under dist/ too, so the build leaves a single directory behind.
"$python" -m PyInstaller --noconfirm --clean \
    --distpath dist --workpath dist/.pyinstaller-work \
    installers/kiosk/rentguy-kiosk.spec

if [ "${SKIP_SELFTEST:-0}" != 1 ]; then
    QT_QPA_PLATFORM=offscreen dist/rentguy-kiosk/rentguy-kiosk --self-test
fi
echo "built: $repo/dist/rentguy-kiosk  (install with installers/kiosk/install-kiosk.sh)"
