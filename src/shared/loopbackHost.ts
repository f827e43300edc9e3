/** Whether a URL's host is the host's own IPv4 loopback, as bpvm rewrites and forwards it (the runtime and the Launch form alike). */
export function isLoopbackHost(hostname: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === 'localhost'
}
