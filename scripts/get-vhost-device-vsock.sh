#!/usr/bin/env bash
# Installs rust-vmm's vhost-device-vsock (the vhost-user vsock daemon bpvm's QEMU guests use to
# reach their bridge) as /usr/local/bin/vhost-device-vsock. It is packaged only in Debian sid;
# its binary needs glibc >= 2.34 and runs on bookworm. The package is fetched with a throw-away
# apt configuration (the host's own sources and lists are not touched) and unpacked with
# `dpkg -x` (no dependencies, no maintainer scripts). Run as root.
#   get-vhost-device-vsock.sh [MIRROR]     default MIRROR: http://deb.debian.org/debian
set -euo pipefail

mirror="${1:-http://deb.debian.org/debian}"
target=/opt/vhost-device-vsock
link=/usr/local/bin/vhost-device-vsock

if [[ $(id -u) -ne 0 ]]; then
  echo "get-vhost-device-vsock: run as root (it installs into $target and $link)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/etc/preferences.d" "$work/etc/apt.conf.d"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
printf 'deb [signed-by=%s] %s sid main\n' "$keyring" "$mirror" > "$work/etc/sources.list"
apt_options=(
  -o "Dir::Etc::sourcelist=$work/etc/sources.list"
  -o "Dir::Etc::sourceparts=-"
  -o "Dir::Etc::preferencesparts=$work/etc/preferences.d"
  -o "Dir::Etc::parts=$work/etc/apt.conf.d"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache=$work/cache"
  -o "Dir::State::status=/dev/null"
  -o "APT::Architecture=amd64"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)
apt-get "${apt_options[@]}" update -qq
(cd "$work" && apt-get "${apt_options[@]}" download vhost-device-vsock >/dev/null)
deb=$(ls "$work"/vhost-device-vsock_*.deb)
rm -rf "$target.new"
dpkg -x "$deb" "$target.new"
"$target.new/usr/bin/vhost-device-vsock" --version >/dev/null
rm -rf "$target"
mv "$target.new" "$target"
ln -sfn "$target/usr/bin/vhost-device-vsock" "$link"
echo "get-vhost-device-vsock: $("$link" --version) from $(basename "$deb")"
