# shellcheck shell=bash
# Helpers of build-base.sh and build-sipp.sh: a minimal root filesystem made of host binaries
# and the shared libraries they load (as `ldd` lists them), imported into Docker with
# `docker import`. No registry and no package download is involved.
#
# Sourced, not run.

# rootfs_add_binary ROOTFS SRC DEST: copies the executable SRC to ROOTFS/DEST and every shared
# library it loads (the dynamic loader included) to the same path inside ROOTFS.
rootfs_add_binary() {
    local rootfs=$1 src=$2 dest=$3 lib
    if [[ ! -x $src ]]; then
        echo "rootfs: $src is missing or not executable" >&2
        return 1
    fi
    install -D -m 0755 "$src" "$rootfs$dest"
    # ldd lines: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
    # "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
    while read -r lib; do
        rootfs_add_file "$rootfs" "$lib"
    done < <(ldd "$src" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

# rootfs_add_file ROOTFS PATH: copies PATH (symlinks followed) to the same path inside ROOTFS.
rootfs_add_file() {
    local rootfs=$1 path=$2
    if [[ -e "$rootfs$path" ]]; then
        return 0
    fi
    mkdir -p "$rootfs$(dirname "$path")"
    cp -L --preserve=mode "$path" "$rootfs$path"
}

# rootfs_skeleton ROOTFS: the directories and /etc files every image needs. USER_LINE, when
# given, is appended to /etc/passwd and GROUP_LINE to /etc/group.
rootfs_skeleton() {
    local rootfs=$1 user_line=${2:-} group_line=${3:-}
    mkdir -p "$rootfs"/{bin,etc,tmp,usr/local/bin,var/tmp}
    chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
    {
        echo "root:x:0:0:root:/root:/bin/sh"
        echo "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin"
        if [[ -n $user_line ]]; then echo "$user_line"; fi
    } >"$rootfs/etc/passwd"
    {
        echo "root:x:0:"
        echo "nogroup:x:65534:"
        if [[ -n $group_line ]]; then echo "$group_line"; fi
    } >"$rootfs/etc/group"
    # glibc resolves host names through files then DNS (Docker and Kubernetes mount
    # /etc/hosts and /etc/resolv.conf).
    echo "hosts: files dns" >"$rootfs/etc/nsswitch.conf"
    # The host's /bin/sh (dash on Debian: ~130 KB, libc only), for the Kubernetes entry
    # command that derives the node id from the pod ordinal (deploy/k8s/statefulset.yaml).
    rootfs_add_binary "$rootfs" "$(readlink -f /bin/sh)" /bin/sh
}

# rootfs_import ROOTFS TAG [--change INSTR]...: imports ROOTFS as image TAG, every file owned
# by root whoever runs the script (the Dockerfile gives the data directory to the dialogd user).
rootfs_import() {
    local rootfs=$1 tag=$2
    shift 2
    tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -c . | docker import "$@" - "$tag" >/dev/null
    echo "built image $tag ($(docker image inspect --format '{{.Size}}' "$tag") bytes)"
}
