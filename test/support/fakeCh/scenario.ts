/**
 * How the fake VMM should misbehave, from `--fake-*` flags placed before `--api-socket`
 * (the driver's injectable argument prefix). Without flags it behaves like a healthy v53.0.
 */
export interface Scenario {
  /** `v53`: 404 for "not created", stale socket re-bound. `v52`: every error is 500, any existing socket path is EADDRINUSE. */
  version: 'v53' | 'v52'
  /** Delay before the API socket is bound (the spawn/readiness race). */
  startupDelayMs: number
  /** Print a startup error and exit 1 before the socket exists (no /dev/kvm, say). */
  exitEarly: boolean
  /** vm.boot takes this long, stalling every other request meanwhile (one request at a time). */
  bootDelayMs: number
  /** The first vm.boot fails after building the VM object (the half-created state). */
  failBootOnce: boolean
  /** SIGKILL itself this long after a successful boot, leaving its sockets behind. */
  crashAfterBootMs: number | undefined
  /** How long the guest takes to power off after the power button; undefined: it ignores the button. */
  guestPowerOffMs: number | undefined
  /** On vmm.shutdown, close the connection without answering before exiting (the answer lost to the exit). */
  shutdownDropsAnswer: boolean
}

export interface FakeArgs {
  scenario: Scenario
  socketPath: string
}

export function parseFakeArgs(argv: string[]): FakeArgs {
  const scenario: Scenario = {
    version: 'v53',
    startupDelayMs: 0,
    exitEarly: false,
    bootDelayMs: 0,
    failBootOnce: false,
    crashAfterBootMs: undefined,
    guestPowerOffMs: 100,
    shutdownDropsAnswer: false
  }
  let socketPath: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const [flag, value = ''] = arg.split('=', 2) as [string, string?]
    const ms = (): number => {
      const n = Number(value)
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a number of milliseconds, got "${value}"`)
      return n
    }
    if (flag === '--api-socket') {
      // `path=<p>` or a bare path, as cloud-hypervisor accepts.
      const spec = argv[++i] ?? ''
      socketPath = spec.startsWith('path=') ? spec.slice('path='.length) : spec
    } else if (flag === '--fake-version' && (value === 'v53' || value === 'v52')) scenario.version = value
    else if (flag === '--fake-startup-delay-ms') scenario.startupDelayMs = ms()
    else if (flag === '--fake-exit-early') scenario.exitEarly = true
    else if (flag === '--fake-boot-delay-ms') scenario.bootDelayMs = ms()
    else if (flag === '--fake-fail-boot-once') scenario.failBootOnce = true
    else if (flag === '--fake-crash-after-boot-ms') scenario.crashAfterBootMs = ms()
    else if (flag === '--fake-guest-poweroff-ms') scenario.guestPowerOffMs = ms()
    else if (flag === '--fake-guest-ignores-power-button') scenario.guestPowerOffMs = undefined
    else if (flag === '--fake-shutdown-drops-answer') scenario.shutdownDropsAnswer = true
    else throw new Error(`unknown argument ${arg}`)
  }
  if (!socketPath) throw new Error('--api-socket path=<socket> is required')
  return { scenario, socketPath }
}
