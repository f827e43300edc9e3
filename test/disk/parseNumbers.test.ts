import { describe, expect, it } from 'vitest'
import { parseCount, parseSize } from '../../src/shared/sizes'

describe('one rule for every size and count the user types', () => {
  it('accepts digits with spaces around them, for sizes and counts alike', () => {
    expect(parseSize(' 512M', '--memory')).toBe(512 * 2 ** 20)
    expect(parseCount(' 2', '--cpus')).toBe(2)
    expect(parseCount('30 ', '--timeout')).toBe(30)
  })

  it('refuses anything else, naming the option typed', () => {
    for (const text of ['2x', '-1', '1.5', '', ' ', '0x10', '1e3']) {
      expect(() => parseCount(text, '--cpus'), JSON.stringify(text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', details: { field: '--cpus' } }))
    }
    expect(() => parseCount('99999999999999999999', '--grace')).toThrow(/^--grace: 99999999999999999999 is too large/)
    expect(() => parseSize('12Q', '--storage')).toThrow(/^--storage: expected a size/)
  })
})
