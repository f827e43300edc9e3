// For `node --import`: makes `import 'electron'` load the stub, so a built main bundle runs under plain Node.
import { register } from 'node:module'

register('./electronHooks.mjs', import.meta.url)
