/** Shared by the dev guest tests: programs they need, the guest's network, the stand-in services. */

export const BUILD_PROGRAMS = ['apt-get', 'apt-cache', 'dpkg-deb', 'depmod']
export const BOOT_PROGRAMS = [...BUILD_PROGRAMS, 'qemu-system-x86_64', 'qemu-img', 'ip']

/** The TAP (gateway side) lives in a test namespace, so these addresses never reach a real network. */
export const GUEST_NET = { tap: 'tap-devguest', mac: '52:54:00:12:34:56', address: '10.77.0.2', gateway: '10.77.0.1', prefix: 24 }

/**
 * The stand-in blueprint binary: shows what it was given, uses the network and the data disk.
 * On the first boot it writes its file and exits 3; when the file is already there it waits
 * for SIGINT and exits 0.
 */
export const SERVICE_SCRIPT = `#!/bin/sh
args=''
for arg in "$@"; do args="$args [$arg]"; done
echo "service: args:$args"
env | sort | sed 's/^/service: env /'
find /srv/keystore -type f | sed 's/^/service: keystore /'
if ping -c 1 -W 5 "$GATEWAY" > /dev/null; then echo "service: ping $GATEWAY ok"; else echo "service: ping $GATEWAY failed"; fi
if [ -f "$DATA_DIR/state.txt" ]; then
  echo "service: data kept: $(cat "$DATA_DIR/state.txt")"
  trap 'echo "service: got SIGINT"; exit 0' INT
  echo "service: waiting for SIGINT"
  while :; do sleep 1; done
fi
echo "written on the first boot" > "$DATA_DIR/state.txt"
echo "service: data read back: $(cat "$DATA_DIR/state.txt")"
exit 3
`

/** A service that ignores SIGINT, so only the grace period ends it. */
export const STUBBORN_SERVICE = `#!/bin/sh
trap '' INT
echo "service: ignoring SIGINT"
while :; do sleep 1; done
`
