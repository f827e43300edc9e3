import { describe, expect, it } from 'vitest'
import { launchScript } from '../../src/main/runtime/disk/launchScript'

describe('launch script', () => {
  it('is a POSIX sh script that exports each variable, then execs the service', () => {
    const script = launchScript(
      [
        { name: 'HTTP_RPC_URL', value: 'http://10.0.0.1:9944' },
        { name: 'NOTE', value: 'say "hi" to $USER' }
      ],
      ['run', '--pretty', '--name', 'two words']
    )
    expect(script).toBe(
      [
        '#!/bin/sh',
        'set -e',
        'export HTTP_RPC_URL=http://10.0.0.1:9944',
        `export NOTE='say "hi" to $USER'`,
        "exec /srv/service run --pretty --name 'two words'",
        ''
      ].join('\n')
    )
  })

  it('refuses a variable name the shell would misread', () => {
    expect(() => launchScript([{ name: 'A;rm', value: '' }], ['run'])).toThrow(/^env\.extraEnv: "A;rm" is not a variable name/)
  })
})
