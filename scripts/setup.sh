#!/usr/bin/env bash
# Installs what the demo and the tests need on a Debian/Ubuntu host, as root. Idempotent: it
# installs only what is missing and runs `npm ci` only when the lock file changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "ipper: the demo and the tests need root (namespaces, bridges, runc); run as root" >&2
  exit 77
fi

missing=()
want() { [ -e "$1" ] || missing+=("$2"); }
want /usr/sbin/ip iproute2
want /usr/sbin/dnsmasq dnsmasq-base
want /bin/busybox busybox
want /usr/sbin/udhcpc udhcpc
want /usr/sbin/dhclient isc-dhcp-client    # dhcpClient "dhclient"
want /usr/sbin/dhcpcd dhcpcd-base          # dhcpClient "dhcpcd"
want /usr/sbin/runc runc
want /usr/bin/nsenter util-linux
want /usr/sbin/sysctl procps
want /usr/bin/tar tar
want /usr/sbin/nft nftables
want /usr/bin/podman podman
want /usr/sbin/dockerd docker.io
want /usr/bin/containerd containerd    # the CNI tests' own containerd (ctr run --cni)
want /usr/lib/cni/bridge containernetworking-plugins  # chained after ipper's CNI plugin; the bench's bridge+dhcp pair
want /usr/bin/gcc gcc                  # builds ipper-helper
want /usr/include/stdio.h libc6-dev    # and its static libc
want /usr/bin/strace strace            # the tests' no-shell check
want /usr/bin/man man-db               # the package test reads the man page (dpkg-deb is in dpkg)
want /usr/bin/python3 python3          # the L2-guard tests send raw frames (test/lab/send-frames.py)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
