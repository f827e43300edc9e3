import type { ProcessIdentity } from '../state/processIdentity'
import type { VmmProcess } from './vmmProcess'
import type { VmSpec } from './vmSpec'

export type VmmKind = 'cloud-hypervisor' | 'qemu'

/**
 * What the VMM reports about its VM: `created` (configured, not booted), `running`, `paused`,
 * `stopped` (the VMM process is gone — a guest power-off ends it), or `unknown` (no answer).
 */
export type VmState = 'created' | 'running' | 'paused' | 'stopped' | 'unknown'

/** Where one VM's VMM keeps its files; all under the instance's own directories. */
export interface VmmFiles {
  /** The VMM's control socket (cloud-hypervisor API, QEMU QMP). */
  socketPath: string
  stdoutPath: string
  stderrPath: string
}

/** A VM whose VMM process runs; every method fails with a BpvmError carrying the VMM's own words. */
export interface RunningVm {
  readonly kind: VmmKind
  readonly process: VmmProcess
  /** The VMM's view of the VM; `stopped` once its process has exited. */
  state(): Promise<VmState>
  /** ACPI power button: the guest is asked to shut down; returns without waiting for it. */
  powerButton(): Promise<void>
  /** Ends the VMM process cleanly (the VM with it); quiet when it is already gone. */
  shutdown(): Promise<void>
  /** Ends the VMM process now. */
  kill(): Promise<void>
  /** Stops watching the VM from this process (it keeps running); later calls on this object fail or report nothing. */
  detach(): void
}

/** How to reach a VM another process launched: its control socket, and its VMM process when known. */
export interface AttachTarget {
  socketPath: string
  process?: Required<ProcessIdentity>
}

/**
 * A VM another process launched (a later CLI command, the app after a restart), found again
 * through its control socket; every request is short, and none throws.
 */
export interface AttachedVm {
  readonly kind: VmmKind
  /** The VMM's view of the VM; `unknown` when it does not answer. */
  state(): Promise<VmState>
  /** ACPI power button; false when the VMM could not be reached. */
  powerButton(): Promise<boolean>
  /** SIGTERM, then SIGKILL after `graceMs`; only the very process (pid and start time), and quiet when it is gone. */
  stop(graceMs: number): Promise<void>
}

/** A VM's whole life, for one VMM: launch it, and find it again from another process. */
export interface VmmDriver {
  readonly kind: VmmKind
  /** Starts the VMM, creates and boots the VM; on any failure nothing of it is left running. */
  launch(spec: VmSpec, files: VmmFiles): Promise<RunningVm>
  attach(target: AttachTarget): AttachedVm
}
