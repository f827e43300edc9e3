#!/usr/bin/env node
// Starts the built CLI; `npm run build` (electron-vite) writes it to out/main/cli.js.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const cli = new URL('../out/main/cli.js', import.meta.url)
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(`bpvm: the CLI is not built (${fileURLToPath(cli)} is missing); run \`npm run build\` first\n`)
  process.exit(1)
}
await import(cli.href)
