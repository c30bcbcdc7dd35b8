import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// kept apart from the installer so that a server, which needs the path for the guards, does not load the installer

/**
 * The absolute path of `dist/cli.js` of this package, whether it runs from the bundle (a chunk under `dist/`) or from source
 * (`lib/clients/install.ts`). From source the file exists only after a build, and install's existence check says so.
 */
export function cliScriptPath(): string {
  for (const up of ['../', '../../']) {
    const dir = fileURLToPath(new URL(up, import.meta.url))
    const manifest = join(dir, 'package.json')
    if (!existsSync(manifest)) continue
    try {
      if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'lockstep-mcp') return join(dir, 'dist', 'cli.js')
    } catch {
      // not our manifest; keep looking
    }
  }
  return fileURLToPath(new URL('../cli.js', import.meta.url))
}
