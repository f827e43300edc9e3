import fc from 'fast-check'
import { it } from 'vitest'
import { fatInspectPrograms } from '../../support/fatInspect'
import { expectRoundTrip } from '../../support/fatRoundTrip'
import type { TreeSpec } from '../../support/hostTrees'
import { describeWithPrograms } from '../../support/prerequisites'

// Name characters: ASCII that 8.3 names lose or keep, case pairs, and BMP Unicode (mtools
// reads astral characters one UTF-16 unit at a time, so they cannot be checked with it).
const nameChar = fc.constantFrom(...'abcXYZ019 ._-~+,;=[]()!#$%&@^{}é日ßÅ'.split(''))
const name = fc
  .array(nameChar, { minLength: 1, maxLength: 40 })
  .map((chars) => chars.join(''))
  .filter((n) => n !== '.' && n !== '..' && !n.endsWith('.') && !n.endsWith(' '))

const content = fc.oneof(fc.uint8Array({ maxLength: 2048 }), fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 511, maxLength: 513 }))

const tree: fc.Arbitrary<TreeSpec> = fc.letrec<{ dir: TreeSpec }>((tie) => ({
  dir: fc.dictionary(name, fc.oneof({ depthSize: 'small', withCrossShrink: true }, content, tie('dir')), { maxKeys: 8 })
})).dir

describeWithPrograms(fatInspectPrograms, 'random trees (property)', () => {
  it('every random tree reads back exactly and passes fsck.fat', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (spec) => {
        await expectRoundTrip(spec)
      }),
      { numRuns: 25 }
    )
  })
})
