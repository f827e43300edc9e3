// Module resolution hook: `electron` → electronStub.mjs (registered by registerElectronStub.mjs).
const stub = new URL('./electronStub.mjs', import.meta.url).href

export async function resolve(specifier, context, nextResolve) {
  return specifier === 'electron' ? { url: stub, shortCircuit: true } : nextResolve(specifier, context)
}
