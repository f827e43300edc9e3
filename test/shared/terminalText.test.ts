import { describe, expect, it } from 'vitest'
import { escapeControls } from '../../src/shared/terminalText'
import { runCli } from '../support/runCli'

describe('escapeControls', () => {
  it('writes out C0, DEL, C1 and bidirectional controls; leaves printable text, accents and emoji alone', () => {
    expect(escapeControls('a\u001b[31mred\u0007\u007f\u009b2J')).toBe('a\\x1b[31mred\\x07\\x7f\\x9b2J')
    expect(escapeControls('file\u202etxt.exe\u2066')).toBe('file\\u202etxt.exe\\u2066')
    expect(escapeControls('résumé ✓ 🚀 /tmp/x y')).toBe('résumé ✓ 🚀 /tmp/x y')
  })

  it('keeps newlines and tabs only when asked', () => {
    expect(escapeControls('a\nb\tc\r')).toBe('a\\x0ab\\x09c\\x0d')
    expect(escapeControls('a\nb\tc\r', { keepLines: true })).toBe('a\nb\tc\\x0d')
  })
})

describe('values the CLI echoes', () => {
  it('reach the terminal with their control characters written out; --json keeps the value as it was', async () => {
    const hostile = '/nonexistent/\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eexe'
    const args = ['disk', 'service', '--binary', hostile, '--keystore', '/nonexistent', '--out', '/nonexistent/out.img', '--http-rpc-url', 'http://127.0.0.1:9944', '--ws-rpc-url', 'ws://127.0.0.1:9944', '--blueprint-id', '1', '--service-id', '2']
    const run = await runCli(args)
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('/nonexistent/\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eexe')
    // eslint-disable-next-line no-control-regex
    expect(run.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/)
    const json = await runCli([...args, '--json'])
    expect(JSON.parse(json.stdout).error.message).toContain(hostile)
  })
})
