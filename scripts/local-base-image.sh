#!/usr/bin/env bash
# Make the Dockerfile's base image locally, for machines that reach Debian's package archive but
# no container registry: debootstrap a minimal bookworm with Python 3.11, import it into podman and
# tag it. The Dockerfile's BASE_IMAGE build argument then points at this tag instead of
# python:3.11-slim-bookworm. Both give a `python3` 3.11 with venv and CA certificates, which is all
# the Dockerfile relies on.
#
# usage: scripts/local-base-image.sh [TAG]      (default localhost/assetwatch-base:3.11-bookworm)
# env:   DEBIAN_MIRROR (default http://deb.debian.org/debian), FORCE=1 to rebuild an existing tag,
#        CONTAINERS_CONF (default scripts/podman/containers.conf, as the Makefile sets it).
# needs: root, debootstrap, podman (apt-get install -y debootstrap podman).
set -euo pipefail

# Without it, plain podman here fails every `run` (crun, and ulimits the sandbox refuses).
export CONTAINERS_CONF=${CONTAINERS_CONF:-$(cd "$(dirname "$0")" && pwd)/podman/containers.conf}

tag=${1:-localhost/assetwatch-base:3.11-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
packages=python3,python3-venv,ca-certificates,tzdata

if [[ ${FORCE:-0} != 1 ]] && podman image exists "$tag"; then
    echo "base image $tag exists (FORCE=1 to rebuild)" >&2
    exit 0
fi
for tool in debootstrap podman; do
    command -v "$tool" >/dev/null || {
        echo "error: $tool not found; on Debian: apt-get install -y debootstrap podman" >&2
        exit 1
    }
done
[[ $(id -u) == 0 ]] || { echo "error: debootstrap needs root" >&2; exit 1; }

work=$(mktemp -d /var/tmp/assetwatch-base.XXXXXX)
cleanup() { rm -rf -- "$work"; }
trap cleanup EXIT
rootfs=$work/rootfs

echo "debootstrap $suite ($packages) from $mirror …" >&2
started=$SECONDS
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
}

# Slim it the way the official slim images do: no apt lists or caches, no docs or man pages.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
echo "$suite" >"$rootfs/etc/debian_chroot"

tar --numeric-owner --xattrs -C "$rootfs" -c . |
    podman import \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["python3"]' \
        --message "debootstrap $suite minbase + $packages (scripts/local-base-image.sh)" \
        - "$tag" >/dev/null

python_version=$(podman run --rm --network none "$tag" python3 --version)
echo "base image $tag: $python_version, $(podman image inspect --format '{{.Size}}' "$tag") bytes," \
    "built in $((SECONDS - started))s" >&2
