/**
 * The page's CSP allows style sheets from the app's own files only (`style-src 'self'`), which
 * keeps injected `<style>` blocks from applying. xterm.js sizes its rows and colours its cursor
 * with `<style>` elements it writes itself: their rules are carried into constructed style
 * sheets (CSSOM, which the CSP does not govern), kept in step as xterm rewrites them.
 */
export function carryTerminalStyles(root: HTMLElement): () => void {
  const carried = new Map<HTMLStyleElement, CSSStyleSheet>()
  const sync = (element: HTMLStyleElement): void => {
    let sheet = carried.get(element)
    if (!sheet) {
      sheet = new CSSStyleSheet()
      carried.set(element, sheet)
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]
    }
    sheet.replaceSync(element.textContent ?? '')
  }
  const scan = (): void => {
    for (const element of root.querySelectorAll('style')) sync(element)
    for (const [element, sheet] of carried) {
      if (element.isConnected) continue
      carried.delete(element)
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet)
    }
  }
  const observer = new MutationObserver(scan)
  observer.observe(root, { subtree: true, childList: true, characterData: true })
  scan()
  return () => {
    observer.disconnect()
    const gone = new Set(carried.values())
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => !gone.has(s))
    carried.clear()
  }
}
