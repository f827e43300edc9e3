import type { DoctorReport, HostCheck, ProgramCheck } from '../../../shared/api/host'
import { hostChecks } from './hostChecks'
import { probeProgram } from './programProbe'
import { VHOST_DEVICE_VSOCK, VHOST_DEVICE_VSOCK_HINT } from '../vmm/qemu/vhostDeviceVsock'

interface ProgramSpec {
  program: string
  purpose: string
  required: boolean
  /** How to install it: a Debian/Ubuntu package name, or a sentence when there is none. */
  install: { apt: string } | { manual: string }
  versionArgs: string[]
  /** Picks the version out of the output when it is not the first line. */
  versionPattern?: RegExp
}

// dosfstools has no --version; it prints its version only when it starts work, so it is
// pointed at a path that can never be opened (nothing under /dev/null exists) and fails at once.
const NO_SUCH_DEVICE = '/dev/null/bpvm-version-probe'
// Debian 12 and older Ubuntu releases do not package it; upstream ships a static binary.
const CLOUD_HYPERVISOR_INSTALL =
  'put the static binary from https://github.com/cloud-hypervisor/cloud-hypervisor/releases on PATH as cloud-hypervisor'

const PROGRAMS: ProgramSpec[] = [
  { program: 'qemu-img', purpose: 'creates data disks and converts the cloud image', required: true, install: { apt: 'qemu-utils' }, versionArgs: ['--version'] },
  // Either VMM will do (the `vmm` host check says which one launches use); cloud-hypervisor is preferred.
  { program: 'cloud-hypervisor', purpose: 'runs the micro-VMs (preferred VMM)', required: false, install: { manual: CLOUD_HYPERVISOR_INSTALL }, versionArgs: ['--version'] },
  { program: 'ip', purpose: 'manages TAP devices and addresses', required: true, install: { apt: 'iproute2' }, versionArgs: ['-V'] },
  { program: 'nft', purpose: 'forwards and masquerades guest traffic', required: true, install: { apt: 'nftables' }, versionArgs: ['--version'] },
  { program: 'qemu-system-x86_64', purpose: 'runs the micro-VMs where cloud-hypervisor is absent, and the dev guest under software emulation', required: false, install: { apt: 'qemu-system-x86' }, versionArgs: ['--version'] },
  { program: VHOST_DEVICE_VSOCK, purpose: "gives QEMU guests vsock, their way to the manager bridge (without it: a relay over the VM network)", required: false, install: { manual: VHOST_DEVICE_VSOCK_HINT }, versionArgs: ['--version'] },
  { program: 'socat', purpose: "listens on the host's vsock for QEMU guests on /dev/vhost-vsock (their way to the manager bridge)", required: false, install: { apt: 'socat' }, versionArgs: ['-V'], versionPattern: /socat version/ },
  { program: 'lz4', purpose: "unpacks the dev guest's kernel when it is built, so it boots at its PVH entry point (about 0.3 s sooner under software emulation)", required: false, install: { apt: 'lz4' }, versionArgs: ['--version'], versionPattern: /LZ4 command line/ },
  { program: 'mkfs.fat', purpose: 'cross-checks FAT images (tests, debugging)', required: false, install: { apt: 'dosfstools' }, versionArgs: [NO_SUCH_DEVICE], versionPattern: /^mkfs\.fat \d/ },
  { program: 'fsck.fat', purpose: 'verifies FAT images (tests, debugging)', required: false, install: { apt: 'dosfstools' }, versionArgs: ['-n', NO_SUCH_DEVICE], versionPattern: /^fsck\.fat \d/ },
  { program: 'mcopy', purpose: 'reads files back from FAT images (tests, debugging)', required: false, install: { apt: 'mtools' }, versionArgs: ['--version'] }
]

/**
 * Which of the programs the app relies on are installed, with their versions, and whether the
 * host lets VMs onto the network; each missing piece comes with how to fix it.
 */
export async function runDoctor(): Promise<DoctorReport> {
  const [programs, host] = await Promise.all([Promise.all(PROGRAMS.map(check)), hostChecks()])
  return { programs, host: [vmmCheck(programs), ...host] }
}

/** A VM needs one VMM: cloud-hypervisor where it is installed (what `auto` picks), else QEMU. */
function vmmCheck(programs: ProgramCheck[]): HostCheck {
  const found = (name: string): boolean => programs.some((p) => p.program === name && p.found)
  const ch = found('cloud-hypervisor')
  const qemu = found('qemu-system-x86_64')
  const detail = ch
    ? `cloud-hypervisor${qemu ? ' (QEMU is there too: --vmm qemu)' : ''}`
    : qemu
      ? 'QEMU (cloud-hypervisor is not installed; launches use QEMU)'
      : 'neither cloud-hypervisor nor QEMU is installed'
  return {
    id: 'vmm',
    label: 'VMM',
    ok: ch || qemu,
    detail,
    ...(ch || qemu ? {} : { fix: `apt install qemu-system-x86, or ${CLOUD_HYPERVISOR_INSTALL}` })
  }
}

async function check(spec: ProgramSpec): Promise<ProgramCheck> {
  const found = await probeProgram(spec.program, spec.versionArgs, spec.versionPattern)
  const base = { program: spec.program, purpose: spec.purpose, required: spec.required }
  if (!found.path) return { ...base, found: false, fix: 'apt' in spec.install ? `apt install ${spec.install.apt}` : spec.install.manual }
  return { ...base, found: true, path: found.path, ...(found.version === undefined ? {} : { version: found.version }) }
}
