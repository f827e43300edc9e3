import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { buildDevGuest } from '../../src/main/runtime/image/devGuest/buildDevGuest'
import { GUEST_MODULE_DIR, GUEST_MODULE_LIST } from '../../src/main/runtime/image/devGuest/devGuestLayout'
import { writeNewcArchive } from '../../src/main/runtime/image/devGuest/newcArchive'

/**
 * A guest that boots in seconds under TCG and reports what it sees: the dev guest's kernel and
 * initramfs (busybox and the kernel modules, chosen by dependency), with one more archive
 * appended whose `/init` prints `TINY …` lines on the serial console and powers off when the
 * ACPI power button is pressed (the kernel unpacks concatenated archives in order, so the
 * later `/init` wins). Built once per test run under BPVM_HOME.
 */

export interface TinyGuest {
  kernel: string
  initramfs: string
}

/** Needed to build it: what the dev guest's builder runs. */
export const TINY_GUEST_PROGRAMS = ['apt-get', 'apt-cache', 'dpkg-deb', 'depmod'] as const

// Kernel arguments it reads: tiny.disks=<count to wait for>, tiny.ip=<a.b.c.d/p>, tiny.gw=<address to ping>.
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
for m in $(cat ${GUEST_MODULE_LIST}); do insmod ${GUEST_MODULE_DIR}/$m.ko 2>/dev/null; done
DISKS=0; IP=; GW=
for arg in $(cat /proc/cmdline); do
  case $arg in
    tiny.disks=*) DISKS=\${arg#tiny.disks=} ;;
    tiny.ip=*) IP=\${arg#tiny.ip=} ;;
    tiny.gw=*) GW=\${arg#tiny.gw=} ;;
  esac
done
i=0; while [ $(ls /sys/block | grep -c '^vd') -lt $DISKS ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
i=0; while [ ! -e /dev/input/event0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
echo "TINY cpus=$(nproc) mem_kb=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
for d in /sys/block/vd*; do
  [ -e "$d" ] || continue
  n=\${d##*/}
  echo "TINY disk $n ro=$(cat $d/ro) serial=$(cat $d/serial) head=$(head -c 12 /dev/$n | tr -cd 'a-z:')"
done
for n in /sys/class/net/eth*; do
  [ -e "$n" ] || continue
  echo "TINY nic \${n##*/} mac=$(cat $n/address)"
done
if [ -n "$IP" ] && [ -n "$GW" ]; then
  ip link set eth0 up && ip addr add "$IP" dev eth0
  if ping -c 1 -W 10 "$GW" > /dev/null 2>&1; then echo "TINY ping ok"; else echo "TINY ping failed"; fi
fi
acpid -f -d -c /etc/acpi &
# Ready only once acpid holds the input devices: a press before that would go unheard.
i=0; while ! ls -l /proc/$!/fd 2>/dev/null | grep -q /dev/input/event && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
echo "TINY ready"
while :; do sleep 1; done
`

const POWER_BUTTON = `#!/bin/sh
echo "TINY power-button" > /dev/console
poweroff -f
`

let building: Promise<TinyGuest> | undefined

export function tinyGuest(): Promise<TinyGuest> {
  return (building ??= buildOnce())
}

async function buildOnce(): Promise<TinyGuest> {
  const dev = await buildDevGuest()
  const dir = join(dirname(dev.initramfs), 'tiny')
  const made: TinyGuest = { kernel: dev.kernel, initramfs: join(dir, 'initramfs.img') }
  if (await exists(made.initramfs)) return made
  await mkdir(dir, { recursive: true })
  const overlay = `${made.initramfs}.${process.pid}.overlay`
  const partial = `${made.initramfs}.${process.pid}.partial`
  try {
    await writeNewcArchive(
      [
        { kind: 'file', path: 'init', mode: 0o755, source: { bytes: Buffer.from(INIT) } },
        { kind: 'dir', path: 'etc', mode: 0o755 },
        { kind: 'dir', path: 'etc/acpi', mode: 0o755 },
        { kind: 'dir', path: 'etc/acpi/PWRF', mode: 0o755 },
        // busybox acpid runs <config dir>/PWRF/00000080 for the power button.
        { kind: 'file', path: 'etc/acpi/PWRF/00000080', mode: 0o755, source: { bytes: Buffer.from(POWER_BUTTON) } }
      ],
      overlay
    )
    await writeFile(partial, Buffer.concat([await readFile(dev.initramfs), await readFile(overlay)]))
    // Another test file may have built it meanwhile; either copy serves.
    await rename(partial, made.initramfs)
    return made
  } finally {
    await rm(overlay, { force: true })
    await rm(partial, { force: true })
  }
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false
  )
