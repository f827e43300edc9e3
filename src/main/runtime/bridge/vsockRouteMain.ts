import { createConnection } from 'node:net'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { routeTargetName } from './vsockRoutes'

/**
 * One guest connection to the host's vsock port 8000, handed over by the host-wide listener
 * (socat `VSOCK-LISTEN … EXEC`): the connection is this process's stdin and stdout, and socat
 * puts the peer's CID in `SOCAT_PEERADDR`. The kernel sets that CID, so a guest cannot claim
 * another's. The connection is joined to the bridge socket the routes directory names for that
 * CID; a CID with no route is refused (logged to stderr, which is the listener's log).
 */
const { values } = parseArgs({ options: { routes: { type: 'string' } }, strict: true })
const refuse = (why: string): never => {
  process.stderr.write(`${new Date().toISOString()} vsock route: refused: ${why}\n`)
  process.exit(1)
}

if (!values.routes) refuse('--routes <directory> is required')
const peer = process.env.SOCAT_PEERADDR ?? ''
const name = routeTargetName(peer)
if (name === undefined) refuse(`peer CID ${JSON.stringify(peer)} is not a guest's`)

const bridge = createConnection(join(values.routes as string, name as string))
bridge.once('error', (error: NodeJS.ErrnoException) => refuse(`peer CID ${peer}: no bridge for it (${error.code ?? error.message})`))
bridge.once('connect', () => {
  // Writes to a socket or pipe stdout are synchronous on Linux: nothing is lost by exiting on close.
  process.stdin.pipe(bridge)
  bridge.pipe(process.stdout, { end: false })
  bridge.once('close', () => process.exit(0))
  process.stdin.once('error', () => process.exit(0))
})
