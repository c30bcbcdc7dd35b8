import { readFileSync } from 'node:fs'

let cached: string | undefined

/** The package version, read from the package.json above this module (source or dist). */
export function packageVersion(): string {
  if (cached) return cached
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'lockstep-mcp' && pkg.version) return (cached = pkg.version)
    } catch {
      // try the next candidate
    }
  }
  return (cached = '0.0.0')
}
