import type { AttachedVm, AttachTarget, VmmKind, VmState } from './vmmDriver'
import { stopDetachedVmm } from './vmmProcess'

/** What one VMM's control socket can be asked about a VM another process launched; each may throw. */
export interface ControlSession {
  state(): Promise<VmState>
  powerButton(): Promise<void>
}

/**
 * An AttachedVm from a VMM's own requests: one that fails (no answer, a closed socket) reads as
 * `unknown` or `false`, never an error; stop goes by process identity, the same for every VMM.
 */
export function attachedVmOf(kind: VmmKind, target: AttachTarget, control: ControlSession): AttachedVm {
  return {
    kind,
    state: () => control.state().catch(() => 'unknown' as const),
    powerButton: () =>
      control.powerButton().then(
        () => true,
        () => false
      ),
    stop: async (graceMs) => (target.process ? stopDetachedVmm(target.process, graceMs) : undefined)
  }
}
