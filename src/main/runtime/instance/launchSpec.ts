import type { NamedImage } from '../../../shared/api/images'
import { invalidInput } from '../../../shared/errors'
import type { ServiceArgsInput, ServiceEnvInput } from '../disk/serviceEnv'
import type { AccelSetting } from '../vmm/qemu/qemuHost'
import type { VmmKind } from '../vmm/vmmDriver'
import { parseImageChoice, type ImageChoice } from './guestImage'
import { checkInstanceName } from './instanceRecord'
import { BRIDGE_CHOICES, type BridgeChoice } from './instanceBridge'
import { isLoopbackHost } from '../../../shared/loopbackHost'
import { markedPort } from './loopbackForwards'

/** Everything a user chooses for one launch; validated before anything is made. */
export interface LaunchSpec {
  name: string
  binary: string
  keystore?: string
  env: ServiceEnvInput
  args: ServiceArgsInput
  memoryBytes?: number
  vcpus?: number
  storageBytes?: number
  vmm?: string
  image?: string
  accel?: AccelSetting
  /** Install Docker in the guest at first boot, as the reference always does (cloud images only). */
  docker?: boolean
  /** Seconds the guest gives the service after the power button before powering off anyway. */
  guestGraceSeconds?: number
  /** How the guest reaches its manager bridge: `auto` (default), `vsock`, or `relay`. */
  bridge?: string
  /**
   * Further ports of the host's loopback the guest reaches at its gateway, each a loopback URL or
   * a port; a URL is also rewritten to the gateway wherever it is a value of `--env` or `--arg`.
   */
  forward?: string[]
  /** Check that something answers at the RPC URLs before booting anything; default true. */
  rpcCheck?: boolean
}

export interface CheckedLaunch extends Omit<LaunchSpec, 'vmm' | 'image' | 'accel' | 'docker' | 'bridge' | 'forward' | 'rpcCheck'> {
  docker: boolean
  bridge: BridgeChoice
  forward: string[]
  rpcCheck: boolean
  memoryBytes: number
  vcpus: number
  storageBytes: number
  vmm: VmmKind
  image: ImageChoice
  accel: AccelSetting
}

/** What a launch uses where the user chose nothing: from the settings, with `auto` already decided. */
export interface LaunchDefaults {
  vmm: VmmKind
  image: NamedImage
  accel: AccelSetting
}

const MiB = 1024 * 1024
const VMMS = ['auto', 'cloud-hypervisor', 'qemu']

export function checkLaunchSpec(spec: LaunchSpec, defaults: LaunchDefaults): CheckedLaunch {
  checkInstanceName(spec.name)
  const chosenVmm = spec.vmm ?? 'auto'
  if (!VMMS.includes(chosenVmm)) throw invalidInput('vmm', `must be auto, cloud-hypervisor or qemu, got ${JSON.stringify(chosenVmm)}`)
  const vmm: VmmKind = chosenVmm === 'auto' ? defaults.vmm : (chosenVmm as VmmKind)
  const image = parseImageChoice(spec.image ?? defaults.image)
  const accel = spec.accel ?? defaults.accel
  if (!['auto', 'kvm', 'tcg'].includes(accel)) throw invalidInput('accel', `must be auto, kvm or tcg, got ${JSON.stringify(accel)}`)
  const bridge = spec.bridge ?? 'auto'
  if (!(BRIDGE_CHOICES as readonly string[]).includes(bridge)) throw invalidInput('bridge', `must be auto, vsock or relay, got ${JSON.stringify(bridge)}`)
  const docker = spec.docker ?? false
  if (typeof docker !== 'boolean') throw invalidInput('docker', 'must be true or false')
  if (docker && image === 'dev') throw invalidInput('docker', 'the dev guest has no package manager to install Docker with; use --image debian or ubuntu')
  if (vmm === 'cloud-hypervisor' && accel === 'tcg') throw invalidInput('accel', 'cloud-hypervisor runs on KVM only; use --vmm qemu for software emulation (tcg)')
  const memoryBytes = spec.memoryBytes ?? 512 * MiB
  if (!Number.isSafeInteger(memoryBytes) || memoryBytes < 128 * MiB || memoryBytes % MiB !== 0) throw invalidInput('memoryBytes', 'must be a whole number of MiB, at least 128 MiB')
  const vcpus = spec.vcpus ?? 1
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > 64) throw invalidInput('vcpus', `must be from 1 to 64, got ${vcpus}`)
  const storageBytes = spec.storageBytes ?? 1024 * MiB
  if (!Number.isSafeInteger(storageBytes) || storageBytes < 64 * MiB) throw invalidInput('storageBytes', 'must be at least 64 MiB')
  if (spec.guestGraceSeconds !== undefined && (!Number.isSafeInteger(spec.guestGraceSeconds) || spec.guestGraceSeconds < 0 || spec.guestGraceSeconds > 3600)) {
    throw invalidInput('guestGraceSeconds', 'must be a whole number of seconds from 0 to 3600')
  }
  const forward = spec.forward ?? []
  if (!Array.isArray(forward)) throw invalidInput('forward', 'must be a list of loopback URLs or ports')
  forward.forEach((value, i) => markedPort(value, `forward.${i}`))
  const rpcCheck = spec.rpcCheck ?? true
  if (typeof rpcCheck !== 'boolean') throw invalidInput('rpcCheck', 'must be true or false')
  return { ...spec, memoryBytes, vcpus, storageBytes, vmm, image, accel, docker, bridge: bridge as BridgeChoice, forward: forward.map((value) => String(value).trim()), rpcCheck }
}

/**
 * An RPC URL on the host's loopback means the host itself, which the guest reaches at its
 * TAP's address, as the reference does.
 */
export function rewriteLoopbackUrl(url: string, hostAddress: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return url
  }
  if (!isLoopbackHost(parsed.hostname)) return url
  // Only the host changes; the rest of the URL stays as the user wrote it.
  return url.replace(parsed.hostname, hostAddress)
}
