import { describe, expect, it } from 'vitest'
import { ShortNameAllocator, exactShortName, longNameProblem, shortNameChecksum } from '../../../src/main/runtime/disk/fat/fatNames'

describe('long names', () => {
  it('accepts ordinary, Unicode and 255-unit names', () => {
    for (const name of ['service', 'user-data', 'résumé – final.txt', '日本語', '.env', 'x'.repeat(255)]) {
      expect(longNameProblem(name)).toBeUndefined()
    }
  })

  it('refuses what FAT cannot store, saying why', () => {
    expect(longNameProblem('')).toMatch(/empty/)
    expect(longNameProblem('..')).toMatch(/reserved/)
    expect(longNameProblem('a'.repeat(256))).toMatch(/255/)
    expect(longNameProblem('a:b')).toMatch(/":"/)
    expect(longNameProblem('a\\b')).toMatch(/"\\"/)
    expect(longNameProblem('tab\there')).toMatch(/control/)
    expect(longNameProblem('name.')).toMatch(/ends with a dot/)
    expect(longNameProblem('\ud800x')).toMatch(/Unicode/)
  })
})

describe('8.3 names', () => {
  it('keeps names that already are upper-case 8.3 names', () => {
    expect(exactShortName('README.TXT')).toBe('README  TXT')
    expect(exactShortName('SERVICE')).toBe('SERVICE    ')
    expect(exactShortName('readme.txt')).toBeUndefined()
    expect(exactShortName('TOOLONGNAME')).toBeUndefined()
    expect(exactShortName('A.B.C')).toBeUndefined()
  })

  it('gives Windows-style aliases, unique within a directory', () => {
    const names = new ShortNameAllocator()
    expect(names.alias('service')).toBe('SERVICE    ')
    expect(names.alias('Service')).toBe('SERVIC~1   ')
    expect(names.alias('A Long File Name.txt')).toBe('ALONGF~1TXT')
    expect(names.alias('A Long File Name2.txt')).toBe('ALONGF~2TXT')
    expect(names.alias('key.json')).toBe('KEY~1   JSO')
    expect(names.alias('.env')).toBe('ENV~1      ')
    expect(names.alias('日本')).toBe('__~1       ')
  })

  it('stays unique for thousands of names sharing one stem', () => {
    const names = new ShortNameAllocator()
    const aliases = Array.from({ length: 3000 }, (_, i) => names.alias(`longfilename-${i}.txt`))
    expect(new Set(aliases).size).toBe(3000)
    for (const alias of aliases) expect(alias).toHaveLength(11)
    expect(aliases[0]).toBe('LONGFI~1TXT')
    expect(aliases[2999]).toBe('LON~3000TXT')
  })

  it('never hands out a name reserved as an exact 8.3 name', () => {
    const names = new ShortNameAllocator()
    expect(names.reserveExact('README~1TXT')).toBe(true)
    expect(names.alias('readme file.txt')).toBe('README~2TXT')
    expect(names.reserveExact('README~1TXT')).toBe(false)
  })

  it('computes the long-name checksum of the FAT specification', () => {
    // fsck.fat checks every long name's checksum in the image tests; this pins one value.
    expect(shortNameChecksum(Buffer.from('README  TXT', 'ascii'))).toBe(115)
    expect(shortNameChecksum(Buffer.from('SERVICE    ', 'ascii'))).not.toBe(shortNameChecksum(Buffer.from('SERVIC~1   ', 'ascii')))
  })
})
