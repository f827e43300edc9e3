import { MAX_NAME_UNITS } from './fatLimits'

/** Characters a VFAT long name may not contain (besides control characters). */
const FORBIDDEN_LONG = new Set(['"', '*', '/', ':', '<', '>', '?', '\\', '|'])

/** Characters an 8.3 short name may hold besides A–Z and 0–9. */
const SHORT_SPECIALS = new Set(["!", "#", "$", "%", "&", "'", "(", ")", "-", "@", "^", "_", "`", "{", "}", "~"])

/** Why `name` cannot be stored as a VFAT long name, or undefined when it can. */
export function longNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty'
  if (name === '.' || name === '..') return 'is reserved'
  if (name.length > MAX_NAME_UNITS) return `is longer than ${MAX_NAME_UNITS} UTF-16 units`
  if (!name.isWellFormed()) return 'is not valid Unicode'
  if (name.endsWith('.') || name.endsWith(' ')) return 'ends with a dot or a space, which FAT drops'
  for (const ch of name) {
    if (ch.charCodeAt(0) < 0x20 || ch === '\u007f') return 'contains a control character'
    if (FORBIDDEN_LONG.has(ch)) return `contains "${ch}", which FAT cannot store`
  }
  return undefined
}

function isShortChar(ch: string): boolean {
  return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || SHORT_SPECIALS.has(ch)
}

/** `name` when it is already a valid upper-case 8.3 name (then no long-name entries are needed). */
export function exactShortName(name: string): string | undefined {
  const dot = name.indexOf('.')
  const base = dot === -1 ? name : name.slice(0, dot)
  const ext = dot === -1 ? '' : name.slice(dot + 1)
  if (base.length < 1 || base.length > 8 || ext.length > 3 || ext.includes('.')) return undefined
  if (dot !== -1 && ext.length === 0) return undefined
  if (![...base, ...ext].every(isShortChar)) return undefined
  return pad83(base, ext)
}

function pad83(base: string, ext: string): string {
  return base.padEnd(8, ' ') + ext.padEnd(3, ' ')
}

/** Upper-cases and maps a part of a long name onto short-name characters; reports whether anything was lost. */
function toShortChars(part: string): { text: string; lossy: boolean } {
  let text = ''
  let lossy = false
  for (const ch of part) {
    if (ch === ' ' || ch === '.') {
      lossy = true
      continue
    }
    const upper = ch.toUpperCase()
    if (upper.length === 1 && isShortChar(upper)) text += upper
    else {
      text += '_'
      lossy = true
    }
  }
  return { text, lossy }
}

/**
 * Hands out the unique 11-byte short names of one directory. Names that are valid 8.3 names
 * keep them; every other name gets a Windows-style alias (`LONGNA~1.TXT`, `LONGNA~2.TXT`, …).
 */
export class ShortNameAllocator {
  private readonly taken = new Set<string>()
  private readonly nextTail = new Map<string, number>()

  /** Claims exact 8.3 names first so an alias never steals one. Returns false for a clash. */
  reserveExact(shortName: string): boolean {
    if (this.taken.has(shortName)) return false
    this.taken.add(shortName)
    return true
  }

  alias(longName: string): string {
    const trimmed = longName.replace(/^\.+/, '')
    const lastDot = trimmed.lastIndexOf('.')
    const rawBase = lastDot > 0 ? trimmed.slice(0, lastDot) : trimmed
    const rawExt = lastDot > 0 ? trimmed.slice(lastDot + 1) : ''
    const base = toShortChars(rawBase)
    const ext = toShortChars(rawExt)
    const baseText = base.text.length > 0 ? base.text : '_'
    const extText = ext.text.slice(0, 3)
    const lossy = base.lossy || ext.lossy || baseText.length > 8 || ext.text.length > 3 || trimmed !== longName
    if (!lossy) {
      const plain = pad83(baseText, extText)
      if (!this.taken.has(plain)) {
        this.taken.add(plain)
        return plain
      }
    }
    const key = `${baseText.slice(0, 8)}.${extText}`
    for (let tail = this.nextTail.get(key) ?? 1; ; tail++) {
      const suffix = `~${tail}`
      const candidate = pad83(baseText.slice(0, 8 - suffix.length) + suffix, extText)
      if (!this.taken.has(candidate)) {
        this.taken.add(candidate)
        this.nextTail.set(key, tail + 1)
        return candidate
      }
    }
  }
}

/** The checksum of an 11-byte short name that every long-name entry of that file carries. */
export function shortNameChecksum(shortName: Uint8Array): number {
  let sum = 0
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + shortName[i]!) & 0xff
  return sum
}

/** Number of 32-byte long-name entries a name needs (13 UTF-16 units each). */
export function longEntryCount(name: string): number {
  return Math.ceil(name.length / 13)
}
