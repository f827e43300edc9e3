import { stat } from 'node:fs/promises'
import * as layout from './devGuestLayout'
import { guestInitScript } from './guestInit'
import { powerButtonScript, powerOffScript } from './guestPowerScripts'
import { NETWORK_PLAN_AWK, YAML_FLAT_AWK } from './guestYamlAwk'
import type { ArchiveEntry } from './newcArchive'

/** A file the build generates for the guest; its content is part of the cache key. */
export interface GuestScript {
  path: string
  mode: number
  text: string
}

const rel = (path: string): string => path.replace(/^\/+/, '')

export function guestScripts(): GuestScript[] {
  return [
    { path: '/init', mode: 0o755, text: guestInitScript() },
    { path: layout.GUEST_POWER_OFF, mode: 0o755, text: powerOffScript() },
    { path: `${layout.GUEST_ACPI_DIR}/${layout.POWER_BUTTON_EVENT}`, mode: 0o755, text: powerButtonScript() },
    { path: layout.GUEST_YAML_AWK, mode: 0o644, text: YAML_FLAT_AWK },
    { path: layout.GUEST_NETWORK_AWK, mode: 0o644, text: NETWORK_PLAN_AWK }
  ]
}

// Parents before children, as the kernel unpacks in order.
const DIRECTORIES = [
  'bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'run', 'etc', 'etc/bpvm', 'etc/acpi',
  rel(`${layout.GUEST_ACPI_DIR}/${layout.POWER_BUTTON_EVENT.split('/')[0]}`), 'lib', 'lib/bpvm', 'lib/modules', 'srv', 'mnt', 'mnt/data', 'root'
]

export interface InitramfsInputs {
  busybox: string
  modules: ReadonlyArray<{ name: string; path: string }>
}

/** Everything in the initramfs: busybox, our scripts, the modules and the list of them in load order. */
export async function initramfsEntries(inputs: InitramfsInputs): Promise<ArchiveEntry[]> {
  const fromHost = async (path: string, source: string, mode: number): Promise<ArchiveEntry> => ({
    kind: 'file',
    path,
    mode,
    source: { path: source, size: (await stat(source)).size }
  })
  const text = (value: string): { bytes: Uint8Array } => ({ bytes: new TextEncoder().encode(value) })
  return [
    ...DIRECTORIES.map((path): ArchiveEntry => ({ kind: 'dir', path, mode: 0o755 })),
    { kind: 'dir', path: 'tmp', mode: 0o1777 },
    // The kernel opens /dev/console for init before anything is mounted.
    { kind: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
    { kind: 'chardev', path: 'dev/null', mode: 0o666, major: 1, minor: 3 },
    await fromHost('bin/busybox', inputs.busybox, 0o755),
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    ...guestScripts().map((s): ArchiveEntry => ({ kind: 'file', path: rel(s.path), mode: s.mode, source: text(s.text) })),
    { kind: 'file', path: rel(layout.GUEST_MODULE_LIST), mode: 0o644, source: text(inputs.modules.map((m) => `${m.name}\n`).join('')) },
    ...(await Promise.all(inputs.modules.map((m) => fromHost(`${rel(layout.GUEST_MODULE_DIR)}/${m.name}.ko`, m.path, 0o644))))
  ]
}
