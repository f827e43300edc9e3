import { describe, expect, it } from 'vitest'
import { serviceArguments, serviceEnvironment, type ServiceEnvInput } from '../../src/main/runtime/disk/serviceEnv'
import { splitKeyValue } from '../../src/main/cli/serviceDiskRequest'

const base: ServiceEnvInput = {
  httpRpcUrl: 'http://10.0.0.1:9944',
  wsRpcUrl: 'ws://10.0.0.1:9944',
  blueprintId: 7,
  serviceId: '42',
  protocol: 'tangle'
}

const asObject = (input: ServiceEnvInput) => Object.fromEntries(serviceEnvironment(input).map((v) => [v.name, v.value]))

describe('service environment', () => {
  it('has the reference variables in order, with the VM paths forced', () => {
    expect(serviceEnvironment(base)).toEqual([
      { name: 'HTTP_RPC_URL', value: 'http://10.0.0.1:9944' },
      { name: 'WS_RPC_URL', value: 'ws://10.0.0.1:9944' },
      { name: 'KEYSTORE_URI', value: '/srv/keystore' },
      { name: 'DATA_DIR', value: '/mnt/data' },
      { name: 'BLUEPRINT_ID', value: '7' },
      { name: 'SERVICE_ID', value: '42' },
      { name: 'PROTOCOL', value: 'tangle' },
      { name: 'CHAIN', value: 'testnet' },
      { name: 'BOOTNODES', value: '' }
    ])
  })

  it('defaults CHAIN to local_testnet for a local RPC node, testnet otherwise, and keeps an explicit chain', () => {
    expect(asObject({ ...base, httpRpcUrl: 'http://127.0.0.1:9944' }).CHAIN).toBe('local_testnet')
    expect(asObject({ ...base, httpRpcUrl: 'https://localhost/rpc' }).CHAIN).toBe('local_testnet')
    expect(asObject({ ...base, httpRpcUrl: 'https://rpc.example.com/?q=localhost' }).CHAIN).toBe('testnet')
    expect(asObject({ ...base, httpRpcUrl: 'http://127.0.0.1:9944', chain: 'mainnet' }).CHAIN).toBe('mainnet')
  })

  it('adds the optional contracts, bootnodes and registration mode', () => {
    const env = asObject({
      ...base,
      bootnodes: ['/ip4/10.0.0.1/tcp/30333/p2p/12D3KooWabc', '/dns/boot.example/tcp/30333'],
      tangleContract: '0x' + 'ab'.repeat(20),
      stakingContract: '0x' + 'CD'.repeat(20),
      statusRegistryContract: '0x' + '01'.repeat(20),
      registration: true
    })
    expect(env.BOOTNODES).toBe('/ip4/10.0.0.1/tcp/30333/p2p/12D3KooWabc,/dns/boot.example/tcp/30333')
    expect(env.TANGLE_CONTRACT).toBe('0x' + 'ab'.repeat(20))
    expect(env.STAKING_CONTRACT).toBe('0x' + 'CD'.repeat(20))
    expect(env.STATUS_REGISTRY_CONTRACT).toBe('0x' + '01'.repeat(20))
    expect(env.REGISTRATION_MODE_ON).toBe('true')
    expect(env.REGISTRATION_OUTPUT_PATH).toBe('/mnt/data/registration_inputs.bin')
    expect(env.REGISTRATION_CAPTURE_ONLY).toBe('true')
  })

  it('keeps ids up to 2^64 − 1 exactly', () => {
    expect(asObject({ ...base, blueprintId: '18446744073709551615', serviceId: 0n }).BLUEPRINT_ID).toBe('18446744073709551615')
  })

  it('appends extra variables with any value but NUL', () => {
    const env = serviceEnvironment({ ...base, extraEnv: [['RUST_LOG', 'info'], ['_odd_1', "a'b\n$c"]] })
    expect(env.slice(-2)).toEqual([
      { name: 'RUST_LOG', value: 'info' },
      { name: '_odd_1', value: "a'b\n$c" }
    ])
  })

  it.each([
    [{ httpRpcUrl: 'ws://x' }, /^env\.httpRpcUrl: must be an http/],
    [{ httpRpcUrl: 'not a url' }, /^env\.httpRpcUrl: /],
    [{ httpRpcUrl: 'http://10.0.0.1:9944/\n' }, /^env\.httpRpcUrl: must not contain spaces or control characters/],
    [{ blueprintId: 2 ** 60 }, /^env\.blueprintId: must be a whole number; give large ids as text/],
    [{ wsRpcUrl: 'http://x' }, /^env\.wsRpcUrl: must be a ws/],
    [{ blueprintId: '-1' }, /^env\.blueprintId: must be a whole number/],
    [{ serviceId: '18446744073709551616' }, /^env\.serviceId: must be a whole number/],
    [{ serviceId: 1.5 }, /^env\.serviceId: /],
    [{ protocol: 'Tangle Network' }, /^env\.protocol: /],
    [{ chain: 'moonnet' }, /^env\.chain: must be one of/],
    [{ bootnodes: ['a,b'] }, /^env\.bootnodes: /],
    [{ tangleContract: '0x1234' }, /^env\.tangleContract: /],
    [{ extraEnv: [['1BAD', 'x']] }, /^env\.extraEnv: "1BAD" is not a variable name/],
    [{ extraEnv: [['BAD-NAME', 'x']] }, /^env\.extraEnv: "BAD-NAME" is not a variable name/],
    [{ extraEnv: [['', 'x']] }, /^env\.extraEnv: "" is not a variable name/],
    [{ extraEnv: [['OK', 'a\0b']] }, /^env\.extraEnv: the value of OK contains a NUL/],
    [{ extraEnv: [['DATA_DIR', '/elsewhere']] }, /^env\.extraEnv: DATA_DIR is set by the VM layout/],
    [{ extraEnv: [['CHAIN', 'x']] }, /^env\.extraEnv: CHAIN is set by env\.chain/],
    [{ extraEnv: [['A', '1'], ['A', '2']] }, /^env\.extraEnv: A is given more than once/]
  ] as Array<[Partial<ServiceEnvInput>, RegExp]>)('refuses %j, naming the field', (change, message) => {
    expect(() => serviceEnvironment({ ...base, ...change })).toThrow(message)
  })

  it('says which field is missing', () => {
    const missing: Partial<ServiceEnvInput> = { ...base }
    delete missing.httpRpcUrl
    expect(() => serviceEnvironment(missing as ServiceEnvInput)).toThrow(/^env\.httpRpcUrl: is required/)
  })
})

describe('service arguments', () => {
  it('is `run` alone by default', () => {
    expect(serviceArguments({})).toEqual(['run'])
  })

  it('puts the flags in the reference order, then the extra pairs', () => {
    expect(
      serviceArguments({
        dryRun: true,
        verbosity: 3,
        pretty: true,
        testMode: true,
        extraArgs: [
          ['--port', '8080'],
          ['-x', '']
        ]
      })
    ).toEqual(['run', '--test-mode', '--pretty', '-vvv', '--dry-run', '--port', '8080', '-x', ''])
  })

  it('refuses NUL, empty keys and odd verbosity, naming the field', () => {
    expect(() => serviceArguments({ extraArgs: [['--k', 'a\0']] })).toThrow(/^args\.extraArgs: the value of "--k" contains a NUL/)
    expect(() => serviceArguments({ extraArgs: [['', 'v']] })).toThrow(/^args\.extraArgs: a key cannot be empty/)
    expect(() => serviceArguments({ verbosity: -1 })).toThrow(/^args\.verbosity: /)
    expect(() => serviceArguments({ verbosity: 1.5 })).toThrow(/^args\.verbosity: /)
  })
})

describe('splitKeyValue', () => {
  it('splits at the first = only', () => {
    expect(splitKeyValue('A=b=c', '--env')).toEqual(['A', 'b=c'])
    expect(splitKeyValue('A=', '--env')).toEqual(['A', ''])
  })

  it('refuses text without a key', () => {
    expect(() => splitKeyValue('novalue', '--env')).toThrow(/^--env: expected KEY=VALUE/)
    expect(() => splitKeyValue('=v', '--arg')).toThrow(/^--arg: expected KEY=VALUE/)
  })
})
