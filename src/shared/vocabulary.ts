/**
 * The words every layer shares — the runtime, the service, the CLI, the renderer — defined once.
 */

/** A launch's steps, in order. */
export const LAUNCH_STEPS = ['check', 'image', 'lease', 'disks', 'tap', 'bridge', 'vmm', 'rules', 'running'] as const
export type LaunchStep = (typeof LAUNCH_STEPS)[number]

/** An instance's status, derived from its VMM process, the VMM's own state and the guest's markers. */
export const INSTANCE_STATUSES = ['NotStarted', 'Pending', 'Running', 'Finished', 'Error', 'Unknown'] as const
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number]

/** How a teardown found or stopped the VMM: already gone, powered off by the guest, or killed. */
export const TEARDOWN_STOPS = ['already', 'graceful', 'killed'] as const
export type TeardownStop = (typeof TEARDOWN_STOPS)[number]

/** What a teardown did. */
export interface TeardownResult {
  name: string
  status: InstanceStatus
  reason: string
  stopped: TeardownStop
  purged: boolean
}
