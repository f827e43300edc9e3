import { describe, expect, it } from 'vitest'
import { UBUNTU_FILES, ubuntuBaseUrl, ubuntuSources } from '../../src/main/runtime/image/ubuntuRelease'

describe('the pinned Ubuntu release', () => {
  it('defaults to one dated noble release directory', () => {
    expect(ubuntuBaseUrl(undefined, {})).toMatch(/^https:\/\/cloud-images\.ubuntu\.com\/releases\/noble\/release-\d{8}\/$/)
  })

  it('takes the kernel and initrd from unpacked/ of that same directory, and their checksums from there too', () => {
    const base = ubuntuBaseUrl(undefined, {})
    const sources = ubuntuSources(base)
    expect(sources.image).toEqual({ file: UBUNTU_FILES.image, url: `${base}ubuntu-24.04-server-cloudimg-amd64.img`, sumsUrl: `${base}SHA256SUMS` })
    expect(sources.kernel.url).toBe(`${base}unpacked/ubuntu-24.04-server-cloudimg-amd64-vmlinuz-generic`)
    expect(sources.initrd.url).toBe(`${base}unpacked/ubuntu-24.04-server-cloudimg-amd64-initrd-generic`)
    expect(sources.kernel.sumsUrl).toBe(`${base}unpacked/SHA256SUMS`)
    for (const source of Object.values(sources)) expect(source.url).not.toContain('releases/releases')
  })

  it('is overridden by the caller, then by BPVM_UBUNTU_BASE_URL, with the trailing slash added', () => {
    const env = { BPVM_UBUNTU_BASE_URL: 'http://127.0.0.1:8080/mirror/noble/release-20260321' }
    expect(ubuntuBaseUrl(undefined, env)).toBe('http://127.0.0.1:8080/mirror/noble/release-20260321/')
    expect(ubuntuBaseUrl('http://127.0.0.1:9/x/', env)).toBe('http://127.0.0.1:9/x/')
  })

  it('refuses a base URL that is not http(s), naming where it came from', () => {
    expect(() => ubuntuBaseUrl(undefined, { BPVM_UBUNTU_BASE_URL: 'file:///srv/images/' })).toThrow(/^BPVM_UBUNTU_BASE_URL: only http and https/)
    expect(() => ubuntuBaseUrl('not a url', {})).toThrow(/^baseUrl: "not a url" is not a URL/)
  })
})
