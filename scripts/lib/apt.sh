# shellcheck shell=bash
# Debian packages, only the missing ones: the one copy scripts/setup, scripts/system-test
# and scripts/install-pi source (a library: it defines functions and runs nothing).
#
# apt_install_missing [--run-with FN] [--quiet] [--say FN] PKG...
#   Asks dpkg which of PKG... are not installed and installs those, after an
#   `apt-get update`, without recommends (a kiosk or a test machine wants what it names
#   and no more). Sets the array apt_missing to what was missing, so the caller can tell
#   "nothing to do" from "installed" (empty: nothing was run).
#   --run-with FN  every command that changes something is run as `FN COMMAND...`:
#                  install-pi passes its run(), which prints the command and in a dry run
#                  does only that. The default runs it as root: directly, or through
#                  `sudo -n` (never a password prompt in an unattended run).
#   --quiet        apt-get -qq and install's output discarded (the development scripts,
#                  whose own output is the test run's).
#   --say FN       `FN "installing Debian packages: P..."` first, when some are missing.
# dpkg-query only reads, so it runs in a dry run too: the dry run shows what a real one
# would install. DEBIAN_FRONTEND goes on install's command line, not into the caller's
# environment, because sudo would drop it there.

apt_install_missing() {
    local runner=_apt_as_root quiet=() say="" pkg
    while (( $# )); do
        case $1 in
            --run-with) runner=${2:?--run-with needs a function}; shift 2 ;;
            --quiet) quiet=(-qq); shift ;;
            --say) say=${2:?--say needs a function}; shift 2 ;;
            --) shift; break ;;
            -*) printf 'apt_install_missing: unknown option %s\n' "$1" >&2; return 2 ;;
            *) break ;;
        esac
    done
    apt_missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || apt_missing+=("$pkg")
    done
    (( ${#apt_missing[@]} )) || return 0
    [[ -z $say ]] || "$say" "installing Debian packages: ${apt_missing[*]}"
    "$runner" apt-get update "${quiet[@]}"
    local install=("$runner" env DEBIAN_FRONTEND=noninteractive
                   apt-get install -y "${quiet[@]}" --no-install-recommends "${apt_missing[@]}")
    if (( ${#quiet[@]} )); then "${install[@]}" >/dev/null; else "${install[@]}"; fi
}

# The default runner: as root already, or through sudo without a prompt.
_apt_as_root() {
    if (( EUID == 0 )); then "$@"; else sudo -n "$@"; fi
}
