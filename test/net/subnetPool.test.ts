import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cidrRange, numberToIpv4, parseIpv4Cidr } from '../../src/main/runtime/net/ipv4'
import { firstFreeSubnet, overlaps, parsePool, poolExhausted, poolUsage } from '../../src/main/runtime/net/subnetPool'

describe('parsePool', () => {
  it('takes the default pool: 16384 /30s from 172.30.0.0', () => {
    const pool = parsePool('172.30.0.0/16', 'network pool')
    expect(pool).toMatchObject({ cidr: '172.30.0.0/16', subnets: 16384 })
    expect(numberToIpv4(pool.first)).toBe('172.30.0.0')
    expect(numberToIpv4(pool.last)).toBe('172.30.255.255')
  })

  it.each([
    ['172.30.0.0', /^network pool: expected an IPv4 network with a prefix length, like 172\.30\.0\.0\/16, got "172\.30\.0\.0"$/],
    ['172.30.0.0/33', /^network pool: expected an IPv4 network/],
    ['172.30.0.0/016', /^network pool: expected an IPv4 network/],
    ['172.030.0.0/16', /^network pool: expected an IPv4 network/],
    ['0xac.30.0.0/16', /^network pool: expected an IPv4 network/],
    ['fd00::/64', /^network pool: expected an IPv4 network/],
    [' 172.30.0.0/16', /^network pool: expected an IPv4 network/],
    ['', /^network pool: expected an IPv4 network/],
    ['172.30.1.0/16', /^network pool: 172\.30\.1\.0\/16 has host bits set; did you mean 172\.30\.0\.0\/16\?$/],
    ['10.0.0.5/30', /^network pool: 10\.0\.0\.5\/30 has host bits set; did you mean 10\.0\.0\.4\/30\?$/],
    ['10.0.0.0/31', /^network pool: 10\.0\.0\.0\/31 is too small: each VM needs a \/30/],
    ['10.0.0.0/32', /^network pool: 10\.0\.0\.0\/32 is too small/],
    ['0.0.0.0/0', /^network pool: 0\.0\.0\.0\/0 reaches into unspecified \(0\.0\.0\.0\/8\) addresses \(0\.0\.0\.0\)/],
    ['128.0.0.0/1', /reaches into broadcast addresses \(255\.255\.255\.255\)/],
    ['224.0.0.0/24', /reaches into multicast addresses/],
    ['127.0.0.0/16', /reaches into loopback addresses/],
    ['169.254.0.0/16', /reaches into link-local addresses/],
    ['240.0.0.0/8', /reaches into reserved addresses/]
  ])('refuses %j', (text, message) => {
    expect(() => parsePool(text, 'network pool')).toThrow(message)
    try {
      parsePool(text, 'network pool')
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'network pool' } })
    }
  })

  it('a /30 pool holds exactly one subnet', () => {
    const pool = parsePool('10.9.8.4/30', 'pool')
    expect(pool.subnets).toBe(1)
    expect(firstFreeSubnet(pool, [], [])).toEqual({ subnet: '10.9.8.4/30', hostAddress: '10.9.8.5', guestAddress: '10.9.8.6', prefix: 30 })
    expect(firstFreeSubnet(pool, ['10.9.8.4/30'], [])).toBeUndefined()
  })
})

describe('overlaps', () => {
  it.each([
    ['172.30.0.0/30', '172.30.0.4/30', false],
    ['172.30.0.0/30', '172.30.0.3/32', true],
    ['172.30.0.4/30', '172.30.0.1/16', true],
    ['172.30.0.1/16', '172.31.0.0/30', false],
    ['10.0.0.0/8', '10.255.255.252/30', true],
    ['0.0.0.0/0', '192.168.1.0/24', true]
  ])('%s and %s: %s', (a, b, expected) => {
    expect(overlaps(a, b)).toBe(expected)
    expect(overlaps(b, a)).toBe(expected)
  })

  it('refuses what is not a CIDR', () => {
    expect(() => overlaps('default', '10.0.0.0/8')).toThrow(/expected an IPv4 address with a prefix length/)
  })
})

describe('choosing a subnet', () => {
  const pool = parsePool('172.30.0.0/16', 'pool')

  it('splits the pool into /30s: TAP on the first host, the guest on the second', () => {
    expect(firstFreeSubnet(pool, ['172.30.0.0/30'], [])).toEqual({
      subnet: '172.30.0.4/30',
      hostAddress: '172.30.0.5',
      guestAddress: '172.30.0.6',
      prefix: 30
    })
  })

  it('skips every /30 a host address or route touches, a host address counting as its whole network', () => {
    expect(firstFreeSubnet(pool, [], ['172.30.0.1/24'])?.subnet).toBe('172.30.1.0/30')
    expect(firstFreeSubnet(pool, [], ['172.30.0.2'])?.subnet).toBe('172.30.0.4/30')
    expect(firstFreeSubnet(pool, [], ['172.30.0.0/31', '172.30.0.4/32', '172.30.0.9/32'])?.subnet).toBe('172.30.0.12/30')
    expect(firstFreeSubnet(pool, [], ['172.16.0.0/12'])).toBeUndefined()
  })

  it('ignores the default route and IPv6', () => {
    expect(firstFreeSubnet(pool, [], ['default', '0.0.0.0/0', 'fd00::1/64'])?.subnet).toBe('172.30.0.0/30')
  })

  it('counts leased and host-blocked subnets when the pool is full', () => {
    const small = parsePool('172.30.0.0/28', 'pool')
    const leased = ['172.30.0.0/30', '172.30.0.4/30', '172.30.0.12/30']
    const occupied = ['172.30.0.9/32', '172.30.0.13/32', '10.0.0.0/8']
    expect(firstFreeSubnet(small, leased, occupied)).toBeUndefined()
    expect(poolUsage(small, leased, occupied)).toEqual({ subnets: 4, leased: 3, blockedByHost: 1, free: 0 })
    const error = poolExhausted(small, leased, occupied)
    expect(error.code).toBe('POOL_EXHAUSTED')
    expect(error.message).toBe(
      "no free /30 subnet in the network pool 172.30.0.0/28: it holds 4, 3 are leased to VMs and 1 overlap this host's own addresses or routes; " +
        'stop a VM or configure a larger pool'
    )
  })

  it('stays fast for a large pool that is nearly full', () => {
    const big = parsePool('10.0.0.0/8', 'pool')
    const started = Date.now()
    expect(firstFreeSubnet(big, [], ['10.0.0.0/9', '10.128.0.0/10', '10.192.0.1/32'])?.subnet).toBe('10.192.0.4/30')
    expect(Date.now() - started).toBeLessThan(100)
  })
})

// A random CIDR inside 10.0.0.0/22, so leases and host networks collide often.
const cidrNear = fc
  .tuple(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 20, max: 32 }))
  .map(([offset, prefix]) => `${numberToIpv4(0x0a00_0000 + offset)}/${prefix}`)

describe('subnets handed out (property)', () => {
  it('never overlap each other nor any occupied CIDR, and stop only when nothing is left', () => {
    fc.assert(
      fc.property(fc.constantFrom('10.0.0.0/24', '10.0.1.0/26', '10.0.2.0/28', '10.0.3.252/30'), fc.array(cidrNear, { maxLength: 6 }), (poolText, occupied) => {
        const pool = parsePool(poolText, 'pool')
        const all = Array.from({ length: pool.subnets }, (_, i) => `${numberToIpv4(pool.first + 4 * i)}/30`)
        const leased: string[] = []
        for (let s = firstFreeSubnet(pool, leased, occupied); s; s = firstFreeSubnet(pool, leased, occupied)) {
          for (const other of [...leased, ...occupied]) expect(overlaps(s.subnet, other)).toBe(false)
          // The first free /30 in pool order, by brute force.
          expect(s.subnet).toBe(all.find((c) => ![...leased, ...occupied].some((o) => overlaps(c, o))))
          leased.push(s.subnet)
        }
        // Exhausted: every /30 of the pool is leased or touches an occupied CIDR.
        for (const subnet of all) expect(leased.includes(subnet) || occupied.some((o) => overlaps(subnet, o))).toBe(true)
        const usage = poolUsage(pool, leased, occupied)
        expect(usage).toEqual({ subnets: pool.subnets, leased: leased.length, blockedByHost: pool.subnets - leased.length, free: 0 })
      }),
      { numRuns: 200 }
    )
  })
})

describe('ipv4 helpers', () => {
  it('parse CIDRs strictly and give their range', () => {
    expect(parseIpv4Cidr('172.30.0.1/16')).toEqual({ address: '172.30.0.1', prefix: 16 })
    expect(parseIpv4Cidr('1.2.3.4/08')).toBeUndefined()
    expect(parseIpv4Cidr('1.2.3/8')).toBeUndefined()
    const range = cidrRange({ address: '172.30.0.1', prefix: 16 })
    expect([numberToIpv4(range.first), numberToIpv4(range.last)]).toEqual(['172.30.0.0', '172.30.255.255'])
    expect(numberToIpv4(0xffff_ffff)).toBe('255.255.255.255')
  })
})
