#!/usr/bin/env bash
# Install the built kiosk for the CURRENT user (run it as the kiosk user, not as root):
#   installers/kiosk/install-kiosk.sh [--autostart] [--server-url URL]
#       [--enrol-code CODE [--station-name NAME]] [BUNDLE_DIR]
# BUNDLE_DIR defaults to <repo>/dist/rentguy-kiosk (from build.sh). It is copied to
# ~/.local/opt/rentguy-kiosk. Then: the config file (written once: server_url, data_dir,
# station_token_file), enrolment with a one-time code from the server's admin (the token
# is stored mode 0600), the bundle's --self-test (a failed check fails the install), and
# start-up: the systemd user unit by default, or with --autostart an XDG autostart entry
# (for sessions without a systemd user manager). Installing one removes the other, so
# the kiosk never runs twice on one queue.
#   KIOSK_HOME=DIR  install into DIR as the home directory instead of $HOME: a throw-away
#                   root for tests and staging (allowed as root; no systemctl calls)
#   SKIP_SELFTEST=1 do not run the self-test
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode=systemd
server_url=""
enrol_code=""
station_name=""
while [ $# -gt 0 ]; do
    case "$1" in
        --autostart) mode=autostart; shift ;;
        --server-url) server_url=${2:?--server-url needs a URL}; shift 2 ;;
        --enrol-code) enrol_code=${2:?--enrol-code needs a code}; shift 2 ;;
        --station-name) station_name=${2:?--station-name needs a name}; shift 2 ;;
        -*) echo "unknown option: $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
bundle=${1:-$here/../../dist/rentguy-kiosk}

staged=0
if [ -n "${KIOSK_HOME:-}" ]; then
    staged=1
    home=$KIOSK_HOME
    config_home=$home/.config
    data_home=$home/.local/share
else
    home=$HOME
    config_home=${XDG_CONFIG_HOME:-$home/.config}
    data_home=${XDG_DATA_HOME:-$home/.local/share}
fi
dest=$home/.local/opt/rentguy-kiosk  # the unit's ExecStart (%h/...) expects exactly this
unit=$config_home/systemd/user/rentguy-kiosk.service
desktop=$config_home/autostart/rentguy-kiosk.desktop
config_dir=$config_home/rentguy-kiosk
config=$config_dir/config.toml
data_dir=$data_home/rentguy-kiosk

if [ "$(id -u)" -eq 0 ] && [ "$staged" = 0 ]; then
    echo "run this as the kiosk user, not as root (or set KIOSK_HOME for a staging root)" >&2
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

# The config is the station's own once written: a reinstall keeps it (and its token).
install -d -m 0700 "$config_dir" "$data_dir"
if [ ! -e "$config" ]; then
    (
        umask 077
        printf '# Written by install-kiosk.sh; every key: installers/kiosk/README.md\n'
        # TOML literal strings: a backslash in a path stays a backslash.
        printf "server_url = '%s'\n" "${server_url:-http://127.0.0.1:8765}"
        printf "data_dir = '%s'\n" "$data_dir"
        printf "station_token_file = '%s'\n" "$data_dir/station-token"
    ) > "$config"
    echo "config written: $config"
fi
kiosk=("$dest/rentguy-kiosk" --config "$config")
if [ -n "$server_url" ]; then kiosk+=(--server-url "$server_url"); fi

if [ -n "$enrol_code" ]; then
    enrol=("${kiosk[@]}" --enrol "$enrol_code")
    if [ -n "$station_name" ]; then enrol+=(--station-name "$station_name"); fi
    HOME=$home "${enrol[@]}"
fi

if [ "${SKIP_SELFTEST:-0}" != 1 ]; then
    # Headless (offscreen) when installing over SSH: it checks the bundle, not the screen.
    if ! HOME=$home "${kiosk[@]}" --self-test; then
        echo "the self-test failed: the kiosk is installed but will not work as it is" >&2
        exit 1
    fi
fi

have_user_manager() { [ "$staged" = 0 ] && systemctl --user show-environment >/dev/null 2>&1; }

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
