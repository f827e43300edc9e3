/** A systemd unit file (or drop-in) from its sections, each a list of key and value in order. */
export type UnitSections = Record<string, Array<[string, string]>>

export function unitFile(sections: UnitSections): string {
  return Object.entries(sections)
    .map(([name, keys]) => [`[${name}]`, ...keys.map(([k, v]) => `${k}=${v}`)].join('\n'))
    .join('\n\n')
    .concat('\n')
}
