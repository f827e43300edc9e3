import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ALL_ERROR_CODES, ERROR_CODES, isErrorCode } from '../../src/shared/errorCodes'
import { API_ERROR_CODES } from '../../src/shared/api'
import { repoRoot } from '../support/runCli'

describe('the error code catalogue', () => {
  it('lists each code once, by its own name, and holds the API\'s own codes', () => {
    expect(new Set(ALL_ERROR_CODES).size).toBe(ALL_ERROR_CODES.length)
    for (const code of ALL_ERROR_CODES) expect(ERROR_CODES[code]).toBe(code)
    for (const code of Object.values(API_ERROR_CODES)) expect(isErrorCode(code), code).toBe(true)
    expect(isErrorCode('NOT_A_CODE')).toBe(false)
  })

  it('has no code that nothing in the source gives (the compiler checks the other way round)', () => {
    const used = execFileSync('git', ['grep', '-h', '-o', '-w', '-E', `(${ALL_ERROR_CODES.join('|')})`, '--', 'src', ':!src/shared/errorCodes.ts'], { cwd: repoRoot, encoding: 'utf8' })
    const unused = ALL_ERROR_CODES.filter((code) => !used.split('\n').includes(code))
    expect(unused).toEqual([])
  })
})
