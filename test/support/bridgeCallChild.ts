import { BridgeTestClient } from './bridgeClient'

/**
 * One call of the bridge contract from a process of its own, so a test can make it inside a
 * network namespace: `bridgeCallChild.ts <target> <method> [request JSON]`. Prints
 * `{"code":0,"reply":…}` or `{"code":N,"details":…}` as one JSON line.
 */
const [target, method, request] = process.argv.slice(2)
if (!target || !method) {
  process.stderr.write('usage: bridgeCallChild.ts <target> <method> [request JSON]\n')
  process.exit(2)
}
const client = new BridgeTestClient(target)
try {
  const reply = await client.call(method, request ? JSON.parse(request) : {})
  process.stdout.write(`${JSON.stringify({ code: 0, reply })}\n`)
} catch (error) {
  const failure = error as { code?: number; details?: string }
  process.stdout.write(`${JSON.stringify({ code: failure.code ?? -1, details: failure.details ?? String(error) })}\n`)
} finally {
  client.close()
}
