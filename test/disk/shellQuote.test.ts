import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { shellQuote } from '../../src/main/runtime/disk/shellQuote'
import { HOSTILE_VALUES } from './hostileValues'

const run = promisify(execFile)

/** What /bin/sh makes of the quoted words: the arguments `printf` receives, NUL-separated. */
async function shellWords(values: readonly string[]): Promise<string[]> {
  const script = `printf '%s\\0' ${values.map((v) => shellQuote(v)).join(' ')}`
  const { stdout } = await run('/bin/sh', ['-c', script], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 })
  return stdout.toString('utf8').split('\0').slice(0, -1)
}

describe('shellQuote', () => {
  it('gives /bin/sh back every hostile value exactly, one word each', async () => {
    expect(await shellWords(HOSTILE_VALUES)).toEqual(HOSTILE_VALUES)
  })

  it('round-trips arbitrary text without NUL through /bin/sh', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0') && !/\p{Cs}/u.test(s))
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 30 }), async (values) => {
        expect(await shellWords(values)).toEqual(values)
      }),
      { numRuns: 60 }
    )
  })

  it('leaves plain words readable and quotes everything else', () => {
    expect(shellQuote('http://127.0.0.1:9944/path')).toBe('http://127.0.0.1:9944/path')
    expect(shellQuote('')).toBe("''")
    expect(shellQuote("it's")).toBe(`'it'\\''s'`)
    expect(shellQuote('$HOME')).toBe("'$HOME'")
  })

  it('refuses NUL and lone surrogates, naming the field', () => {
    expect(() => shellQuote('a\0b', '--env')).toThrow(/^--env: contains a NUL character/)
    expect(() => shellQuote('a\ud800b', '--arg')).toThrow(/^--arg: is not valid Unicode/)
  })
})
