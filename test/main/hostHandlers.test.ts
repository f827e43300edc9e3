import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { DoctorReport } from '../../src/shared/api/host'
import type { Result } from '../../src/shared/result'

vi.mock('electron', () => ({ app: { isPackaged: true } }))

import { registerHostHandlers } from '../../src/main/ipc/hostHandlers'
import { BpvmError } from '../../src/main/runtime/errors'

type Handler = (event: { senderFrame: { url: string } | null }) => Promise<Result<DoctorReport>>

const report: DoctorReport = {
  programs: [
    { program: 'qemu-img', purpose: 'disk images', found: true, path: '/usr/bin/qemu-img', version: '8.2.2', required: true },
    { program: 'nft', purpose: 'VM networking', found: false, required: true, fix: 'sudo apt install nftables' }
  ],
  host: [{ id: 'ip-forward', label: 'IPv4 forwarding', ok: false, detail: 'net.ipv4.ip_forward = 0', fix: 'bpvm net forwarding --enable' }]
}
const ours = { senderFrame: { url: 'app://bpvm/index.html' } }

/** Registers the host handlers on a stand-in for ipcMain and returns the doctor handler. */
function doctorHandler(runDoctor: () => Promise<DoctorReport>): Handler {
  const handlers = new Map<string, Handler>()
  registerHostHandlers({ handle: (channel, fn) => handlers.set(channel, fn as unknown as Handler) }, { runDoctor })
  expect([...handlers.keys()]).toEqual(['host:doctor'])
  return handlers.get('host:doctor') as Handler
}

beforeEach(() => {
  delete process.env.ELECTRON_RENDERER_URL
  vi.spyOn(console, 'error').mockImplementation(() => undefined)
})

describe('host:doctor handler', () => {
  it('returns the doctor report as a success envelope', async () => {
    const handler = doctorHandler(async () => report)
    expect(await handler(ours)).toEqual({ ok: true, value: report })
  })

  it('turns an unexpected throw into an INTERNAL error envelope instead of rejecting', async () => {
    const handler = doctorHandler(async () => {
      throw new Error('spawn which ENOENT')
    })
    await expect(handler(ours)).resolves.toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'spawn which ENOENT' }
    })
  })

  it('keeps the code of a runtime error', async () => {
    const handler = doctorHandler(async () => {
      throw new BpvmError('KVM_UNAVAILABLE', '/dev/kvm is missing')
    })
    expect(await handler(ours)).toEqual({ ok: false, error: { code: 'KVM_UNAVAILABLE', message: '/dev/kvm is missing' } })
  })

  it('refuses foreign or vanished senders without running the doctor', async () => {
    let runs = 0
    const handler = doctorHandler(async () => {
      runs++
      return report
    })
    for (const senderFrame of [{ url: 'https://example.com/' }, { url: 'file:///tmp/index.html' }, null]) {
      const result = await handler({ senderFrame })
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.code).toBe('FORBIDDEN_SENDER')
    }
    expect(runs).toBe(0)
  })
})
