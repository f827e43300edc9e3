import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import { appDirs } from '../src/main/runtime/appDirs'

describe('app directories', () => {
  it('follow the XDG base-directory variables, with defaults under HOME', () => {
    expect(appDirs({ HOME: '/home/u' })).toEqual({
      state: '/home/u/.local/state/bpvm',
      data: '/home/u/.local/share/bpvm',
      cache: '/home/u/.cache/bpvm'
    })
    expect(appDirs({ HOME: '/home/u', XDG_STATE_HOME: '/s', XDG_DATA_HOME: '/d', XDG_CACHE_HOME: 'relative/ignored' })).toEqual({
      state: '/s/bpvm',
      data: '/d/bpvm',
      cache: '/home/u/.cache/bpvm'
    })
  })

  it('all move at once with BPVM_HOME', () => {
    expect(appDirs({ HOME: '/home/u', XDG_STATE_HOME: '/s', BPVM_HOME: '/opt/bpvm' })).toEqual({
      state: '/opt/bpvm/state',
      data: '/opt/bpvm/data',
      cache: '/opt/bpvm/cache'
    })
  })

  it('point at a throw-away directory during tests, never at the user’s own state', () => {
    expect(process.env.BPVM_HOME?.startsWith(`${tmpdir()}/bpvm-vitest-`)).toBe(true)
  })
})
