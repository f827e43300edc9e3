#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages bpvm needs, only those missing. Run as root.
#   install-system-deps.sh          what the app uses at run time
#   install-system-deps.sh --test   that, plus what the test suite drives
set -euo pipefail

run_packages=(qemu-utils qemu-system-x86 dosfstools mtools iproute2 nftables procps kmod mmdebstrap e2fsprogs util-linux debian-archive-keyring socat lz4)
test_packages=(util-linux mount coreutils libcap2-bin python3 cpio chromium fonts-liberation xvfb xauth)

packages=("${run_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then packages+=("${test_packages[@]}"); fi
if ! command -v node >/dev/null 2>&1; then packages+=(nodejs npm); fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done

# The tests fetch the dev guest's kernel with `apt-get download`, which needs a current index.
needs_index=0
if [[ "${1:-}" == "--test" ]]; then needs_index=1; fi
if ((${#missing[@]} > 0 || needs_index)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-system-deps: missing ${missing[*]:-nothing} (or the package index); run this script as root (sudo)" >&2
    exit 1
  fi
  apt-get update -qq
fi
if ((${#missing[@]} > 0)); then
  echo "install-system-deps: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# electron-vite and vitest need Node 20.19 or newer.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "install-system-deps: Node $(node --version) is too old; bpvm needs Node 20.19 or newer" >&2
  exit 1
fi
# QEMU guests reach their manager bridge over vsock through rust-vmm's vhost-device-vsock,
# which only Debian sid packages (see get-vhost-device-vsock.sh). The tests drive it.
if [[ "${1:-}" == "--test" ]] && ! command -v vhost-device-vsock >/dev/null 2>&1; then
  bash "$(dirname "$0")/get-vhost-device-vsock.sh"
fi
echo "install-system-deps: all present"
