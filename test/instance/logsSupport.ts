import { setTimeout as sleep } from 'node:timers/promises'

/** Waits until `done()` holds, checking every 5 ms; fails naming `what` after `timeoutMs`. */
export async function until(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** Collects what a follower delivers, and how often it was told of a rotation. */
export function collector() {
  const chunks: Buffer[] = []
  let rotations = 0
  return {
    onData: (data: Buffer) => void chunks.push(Buffer.from(data)),
    onRotated: () => void rotations++,
    get bytes(): Buffer {
      return Buffer.concat(chunks)
    },
    get calls(): number {
      return chunks.length
    },
    get rotations(): number {
      return rotations
    }
  }
}

/** `count` bytes of a repeating, position-dependent pattern, so a lost or reordered byte shows. */
export function pattern(count: number, seed = 0): Buffer {
  const bytes = Buffer.alloc(count)
  for (let i = 0; i < count; i++) bytes[i] = (i * 7 + seed * 13 + (i >> 8)) % 251
  return bytes
}
