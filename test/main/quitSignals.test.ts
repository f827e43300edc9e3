import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { handleQuitSignals, QUIT_SIGNALS } from '../../src/main/quitSignals'

describe('handleQuitSignals', () => {
  it('quits on the first signal, hurries the quit on the second, exits on the third, whichever of SIGINT, SIGTERM, SIGHUP', () => {
    const target = new EventEmitter()
    const done: string[] = []
    handleQuitSignals({ quit: () => done.push('quit'), hurry: () => done.push('hurry'), exitNow: () => done.push('exit') }, target as unknown as NodeJS.Process)
    expect(QUIT_SIGNALS.every((signal) => target.listenerCount(signal) === 1)).toBe(true)
    target.emit('SIGTERM')
    expect(done).toEqual(['quit'])
    target.emit('SIGINT')
    expect(done).toEqual(['quit', 'hurry'])
    target.emit('SIGHUP')
    target.emit('SIGINT')
    expect(done).toEqual(['quit', 'hurry', 'exit', 'exit'])
  })
})
