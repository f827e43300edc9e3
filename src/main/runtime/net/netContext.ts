/**
 * Where network commands act: the host's own network namespace, or a named one. Tests run
 * every `ip`/`nft` change inside a namespace they create; the app uses the host's.
 */
export interface NetContext {
  netns?: string
}

export const HOST_NET: NetContext = {}

/** Linux's limit on an interface name (IFNAMSIZ less the terminating NUL). */
export const MAX_IFNAME = 15

/** Every TAP the app makes is named `tap-tngl-<id>`, as the reference names them. */
export const TAP_PREFIX = 'tap-tngl-'

/** Highest VM id whose TAP name still fits in 15 characters. */
export const MAX_VM_ID = 10 ** (MAX_IFNAME - TAP_PREFIX.length) - 1

export function tapName(id: number): string {
  if (!Number.isInteger(id) || id < 0 || id > MAX_VM_ID) throw new RangeError(`VM id ${id} is outside 0–${MAX_VM_ID}`)
  return `${TAP_PREFIX}${id}`
}

/** The VM id in a TAP name we made, or undefined for any other interface. */
export function vmIdOfTap(name: string): number | undefined {
  const match = /^tap-tngl-(0|[1-9]\d{0,5})$/.exec(name)
  return match ? Number(match[1]) : undefined
}
