#!/usr/bin/env bash
# Install the built kiosk for the CURRENT user (run it as the kiosk user, not as root):
#   installers/kiosk/install-kiosk.sh [--autostart] [BUNDLE_DIR]
# BUNDLE_DIR defaults to <repo>/dist/rentguy-kiosk (from build.sh). It is copied to
# ~/.local/opt/rentguy-kiosk. Start-up: the systemd user unit by default, or with
# --autostart an XDG autostart entry (for sessions without a systemd user manager).
# Installing one removes the other, so the kiosk never runs twice on one queue.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode=systemd
if [ "${1:-}" = --autostart ]; then mode=autostart; shift; fi
bundle=${1:-$here/../../dist/rentguy-kiosk}
dest=$HOME/.local/opt/rentguy-kiosk  # the unit's ExecStart (%h/...) expects exactly this
config_home=${XDG_CONFIG_HOME:-$HOME/.config}
unit=$config_home/systemd/user/rentguy-kiosk.service
desktop=$config_home/autostart/rentguy-kiosk.desktop

if [ "$(id -u)" -eq 0 ]; then
    echo "run this as the kiosk user, not as root" >&2
    exit 1
fi
if [ ! -x "$bundle/rentguy-kiosk" ]; then
    echo "no bundle at $bundle: run installers/kiosk/build.sh first" >&2
    exit 1
fi
# pyzbar loads the system's libzbar at run time; it is deliberately not bundled.
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
if ! "$ldconfig" -p 2>/dev/null | grep -q 'libzbar\.so\.0'; then
    echo "warning: libzbar0 is not installed; the pyzbar backend will not load" >&2
    echo "         sudo apt-get install --no-install-recommends libzbar0" >&2
fi

# Copy beside, then swap: a running kiosk keeps its open files, a new start sees a whole tree.
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.new" "$dest.old"
cp -a "$bundle" "$dest.new"
if [ -e "$dest" ]; then mv "$dest" "$dest.old"; fi
mv "$dest.new" "$dest"
rm -rf "$dest.old"
echo "installed $dest"

have_user_manager() { systemctl --user show-environment >/dev/null 2>&1; }

if [ "$mode" = systemd ]; then
    rm -f "$desktop"
    install -D -m 0644 "$here/rentguy-kiosk.service" "$unit"
    if have_user_manager; then
        systemctl --user daemon-reload
        systemctl --user enable rentguy-kiosk.service
        systemctl --user try-restart rentguy-kiosk.service  # only if it was running
        echo "enabled: starts with the graphical session (now: systemctl --user start rentguy-kiosk)"
    else
        echo "unit installed at $unit; no systemd user manager reachable from here:"
        echo "  run 'systemctl --user enable rentguy-kiosk' once inside the kiosk session"
    fi
else
    if have_user_manager; then
        systemctl --user disable --now rentguy-kiosk.service 2>/dev/null || true
    fi
    rm -f "$unit"
    mkdir -p "$(dirname "$desktop")"
    # Exec= does no ~ or $HOME expansion: write the absolute path.
    sed "s|@BUNDLE_DIR@|$dest|g" "$here/rentguy-kiosk.desktop" > "$desktop"
    echo "autostart entry installed at $desktop (starts at the next login)"
fi
