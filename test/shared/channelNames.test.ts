import { describe, expect, it } from 'vitest'
import { API } from '../../src/shared/api'

describe('the contract\'s channel names', () => {
  it('are `domain:verb` exactly as the API object spells them, which the typed clients rely on', () => {
    for (const [domain, verbs] of Object.entries(API)) {
      for (const [verb, spec] of Object.entries(verbs)) expect(spec.name).toBe(`${domain}:${verb}`)
    }
  })
})
