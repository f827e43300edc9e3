import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// Every main-process entry lands flat in out/main/, so a worker script can be found
// beside whichever chunk starts it (see runtime/workerScript.ts).
const mainEntries = {
  index: resolve('src/main/index.ts'),
  cli: resolve('src/main/cli/main.ts'),
  runtime: resolve('src/main/runtime/index.ts'),
  fatWorker: resolve('src/main/runtime/disk/fat/fatWorker.ts'),
  backend: resolve('src/worker/backendWorker.ts'),
  bridge: resolve('src/main/runtime/bridge/bridgeMain.ts'),
  vsockRoute: resolve('src/main/runtime/bridge/vsockRouteMain.ts'),
  consoleHub: resolve('src/main/runtime/console/consoleHubMain.ts')
}

// The bridge loads its gRPC contract from beside its code (runtime/bridge/bridgeContract.ts).
const bridgeProto = {
  name: 'bpvm-bridge-proto',
  generateBundle(this: { emitFile: (file: { type: 'asset'; fileName: string; source: string }) => string }) {
    this.emitFile({ type: 'asset', fileName: 'bridge.proto', source: readFileSync(resolve('src/main/runtime/bridge/bridge.proto'), 'utf8') })
  }
}

export default defineConfig({
  main: {
    plugins: [bridgeProto],
    build: {
      rollupOptions: {
        input: mainEntries,
        output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' }
      }
    }
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        // Sandboxed preloads must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve('src/renderer'),
    build: { rollupOptions: { input: { index: resolve('src/renderer/index.html') } } },
    plugins: [vue()]
  }
})
