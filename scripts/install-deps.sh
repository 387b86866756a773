#!/usr/bin/env bash
# Installs the Debian packages gquic builds, tests and benchmarks with.
# Idempotent: when every package is present it installs nothing and changes nothing.
#
# Debian 12 (bookworm): ngtcp2 >= 1.11 and nghttp3 >= 1.8 come from Debian's official
# bookworm-backports suite, which this script enables under /etc/apt/sources.list.d.
# Debian 13 (trixie) and later carry those versions in main.
set -euo pipefail

. /etc/os-release
codename="${VERSION_CODENAME:-}"

common_packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache clang libclang-rt-14-dev
  # libraries
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  libgnutls28-dev libssl-dev libsodium-dev libyaml-cpp-dev libyaml-dev zlib1g-dev
  libldns-dev libnl-3-dev libnl-route-3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev prometheus curl iproute2 wireguard-tools coturn
  dnsutils etcd-server iperf3 avahi-daemon avahi-utils python3-zeroconf
)

case "$codename" in
  bookworm)
    boost_packages=(libboost1.81-dev)
    backports_packages=(libngtcp2-dev libngtcp2-crypto-gnutls-dev libnghttp3-dev
                        ngtcp2-client ngtcp2-server wireguard-go)
    ;;
  *)
    boost_packages=(libboost-dev)
    backports_packages=()
    common_packages+=(libngtcp2-dev libngtcp2-crypto-gnutls-dev libnghttp3-dev
                      ngtcp2-client ngtcp2-server wireguard-go)
    ;;
esac

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${common_packages[@]}" "${boost_packages[@]}" "${backports_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The backports packages must be the >= 1.x versions, not bookworm main's 0.x ones.
if [ "${#backports_packages[@]}" -gt 0 ] && [ "${#missing[@]}" -eq 0 ]; then
  v=$(dpkg-query -W -f='${Version}' libngtcp2-dev)
  if dpkg --compare-versions "$v" lt 1.11; then missing+=("${backports_packages[@]}"); fi
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"

if [ "${#backports_packages[@]}" -gt 0 ]; then
  list=/etc/apt/sources.list.d/bookworm-backports.sources
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    "${sudo_cmd[@]}" tee "$list" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# Package post-install scripts must not start daemons (prometheus ships one; gquic's
# tests only use its promtool).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod +x "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
  "${common_packages[@]}" "${boost_packages[@]}"
if [ "${#backports_packages[@]}" -gt 0 ]; then
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends -t bookworm-backports \
    "${backports_packages[@]}"
fi
echo "install-deps: done"
