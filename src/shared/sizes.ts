import { invalidInput } from './errors'

const UNITS: Record<string, number> = { '': 1, B: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }

/**
 * Parses a size like `20G`, `512M`, `1T` or `1048576` into bytes. Units are binary
 * (K = 1024), as qemu-img reads them; `20GiB` and `20g` mean the same as `20G`.
 */
export function parseSize(text: string, field: string): number {
  const match = /^\s*(\d+)\s*(?:([KMGT])(?:i?B)?|(B))?\s*$/i.exec(String(text))
  if (!match) throw invalidInput(field, `expected a size like 20G, 512M or a number of bytes, got ${JSON.stringify(text)}`)
  const unit = (match[2] ?? match[3] ?? '').toUpperCase()
  const bytes = Number(match[1]) * (UNITS[unit] ?? 1)
  if (!Number.isSafeInteger(bytes)) throw invalidInput(field, `${text} is too large`)
  if (bytes === 0) throw invalidInput(field, 'must be larger than zero')
  return bytes
}

/**
 * Parses a count (vCPUs, seconds) by the same rule as sizes: digits, spaces around them allowed,
 * nothing else; `field` is the option the user typed.
 */
export function parseCount(text: string, field: string): number {
  const match = /^\s*(\d+)\s*$/.exec(String(text))
  if (!match) throw invalidInput(field, `expected a whole number, got ${JSON.stringify(text)}`)
  const value = Number(match[1])
  if (!Number.isSafeInteger(value)) throw invalidInput(field, `${String(text).trim()} is too large`)
  return value
}

/** `21474836480` → `20 GiB`; exact where it can be, one decimal otherwise. */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1)
  return `${shown} ${units[unit]}`
}
