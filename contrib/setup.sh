#!/usr/bin/env bash
# Installs every Debian package Vigil's build, tests, benchmarks and demo need.
# Idempotent: packages already present are left alone.
set -euo pipefail

pkgs=(
  build-essential cmake ninja-build pkg-config clang-format
  clang-19 libclang-rt-19-dev
  libboost1.81-dev libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
  libnftables-dev libipset-dev libssl-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 nftables conntrack iputils-ping iputils-arping tcpdump procps psmisc
  python3 openssl curl time keepalived frr hyperfine
  user-mode-linux kmod ipvsadm iptables
  lintian mandoc man-db groff-base file prometheus
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Daemons in these packages must not start on the host: tests run their own in namespaces.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
