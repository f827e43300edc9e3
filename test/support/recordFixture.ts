/**
 * An instance record as a launch writes it, for tests that lay out state by hand: VM `id` with
 * its /30 from the default pool; `fields` override (a phase, an outcome, a dead process).
 */
export function recordFixture(name: string, id: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1, name, vmm: 'qemu', image: 'dev', accel: 'tcg',
    limits: { memoryBytes: 268435456, vcpus: 1, storageBytes: 268435456 },
    net: { id, tap: `tap-tngl-${id}`, subnet: `172.30.0.${4 * id}/30`, hostAddress: `172.30.0.${4 * id + 1}`, guestAddress: `172.30.0.${4 * id + 2}`, prefix: 30, egress: 'eth0' },
    phase: 'running', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
    ...fields
  }
}

/** A VMM that is long gone: pid and start time no process has. */
export const DEAD_PROCESS = { pid: 999999, startTime: '1' }
