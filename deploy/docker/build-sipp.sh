#!/usr/bin/env bash
# Builds a SIPp image locally, without a registry, from the host's SIPp (Debian package
# sip-tester: `apt-get install -y sip-tester`) and the shared libraries it loads, imported
# with `docker import`. deploy/compose/docker-compose.yml runs it (profile "sipp").
#
#   deploy/docker/build-sipp.sh [TAG]        (default TAG: dialogd-sipp:local)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tag=${1:-dialogd-sipp:local}
sipp=$(command -v sipp || true)
if [[ -z $sipp ]]; then
    echo "build-sipp.sh: sipp not found; install it first: apt-get install -y sip-tester" >&2
    exit 1
fi

# shellcheck source=SCRIPTDIR/rootfs.sh
source "$here/rootfs.sh"

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

rootfs_skeleton "$rootfs"
rootfs_add_binary "$rootfs" "$sipp" /usr/bin/sipp
# SIPp initializes curses even when its screen goes to a file: a few terminal descriptions.
for term in /lib/terminfo/d/dumb /lib/terminfo/x/xterm /lib/terminfo/v/vt100; do
    if [[ -e $term ]]; then
        rootfs_add_file "$rootfs" "$term"
    fi
done

rootfs_import "$rootfs" "$tag" \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV TERM=dumb' \
    --change 'WORKDIR /tmp' \
    --change 'ENTRYPOINT ["/usr/bin/sipp"]'
