#!/usr/bin/env bash
# Builds the dialogd image without a registry:
#   1. cargo build --release --bin dialogd --bin dialogctl (on the host);
#   2. the base image (build-base.sh) if it is missing;
#   3. docker build of deploy/docker/Dockerfile on a context of the two binaries (debug info
#      stripped, symbols kept for backtraces; KEEP_DEBUG=1 keeps everything).
#
#   deploy/docker/build-image.sh [TAG]       (default TAG: dialogd:local)
#
# Environment: BASE (default dialogd-base:local; e.g. debian:bookworm-slim with a registry),
# SIPP=1 also builds the SIPp image of the compose file (build-sipp.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
tag=${1:-dialogd:local}
base=${BASE:-dialogd-base:local}
target_dir=${CARGO_TARGET_DIR:-$repo/target}

(cd "$repo" && cargo build --release --bin dialogd --bin dialogctl)

if ! docker image inspect "$base" >/dev/null 2>&1; then
    if [[ $base == dialogd-base:local ]]; then
        "$here/build-base.sh" "$base"
    else
        echo "build-image.sh: base image $base is not present (docker pull it first)" >&2
        exit 1
    fi
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/bin" "$context/var-lib/dialogd"
for bin in dialogd dialogctl; do
    if [[ ${KEEP_DEBUG:-0} == 1 ]] || ! command -v strip >/dev/null; then
        cp "$target_dir/release/$bin" "$context/bin/$bin"
    else
        strip --strip-debug -o "$context/bin/$bin" "$target_dir/release/$bin"
    fi
done
cp "$here/Dockerfile" "$context/Dockerfile"

docker build --build-arg "BASE=$base" -t "$tag" "$context"
echo "built image $tag ($(docker image inspect --format '{{.Size}}' "$tag") bytes)"

if [[ ${SIPP:-0} == 1 ]]; then
    "$here/build-sipp.sh"
fi
