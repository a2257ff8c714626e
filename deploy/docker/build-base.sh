#!/usr/bin/env bash
# Builds the dialogd runtime base image locally, without a registry: a root filesystem of the
# shared libraries the release binaries load (`ldd`), the host's /bin/sh, /etc/passwd and
# /etc/group with the dialogd user (uid/gid 10001), imported with `docker import`.
#
#   deploy/docker/build-base.sh [TAG]        (default TAG: dialogd-base:local)
#
# Needs target/release/dialogd and dialogctl (build-image.sh builds them first): their
# libraries are the ones copied. The image holds no CA certificates, no package manager and
# no shell tools besides sh. With a registry, `--build-arg BASE=debian:bookworm-slim` on the
# Dockerfile replaces this image.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
tag=${1:-dialogd-base:local}
target_dir=${CARGO_TARGET_DIR:-$repo/target}

# shellcheck source=SCRIPTDIR/rootfs.sh
source "$here/rootfs.sh"

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

rootfs_skeleton "$rootfs" \
    "dialogd:x:10001:10001:dialogd:/var/lib/dialogd:/usr/sbin/nologin" \
    "dialogd:x:10001:"
for bin in dialogd dialogctl; do
    # Only the libraries are kept: the Dockerfile copies the binaries themselves.
    rootfs_add_binary "$rootfs" "$target_dir/release/$bin" "/tmp/$bin"
    rm "$rootfs/tmp/$bin"
done
mkdir -p "$rootfs/var/lib" "$rootfs/etc/dialogd"

rootfs_import "$rootfs" "$tag" \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'CMD ["/bin/sh"]'
