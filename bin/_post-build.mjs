// Writes dist/cli.js, the package's bin: a stable path that client configurations point at. `guard` runs on every
// edit a client makes, so it loads its own small entry instead of the whole command line.
import { writeFileSync, chmodSync } from 'node:fs'
const target = new URL('../dist/cli.js', import.meta.url)
writeFileSync(target, "#!/usr/bin/env node\nif (process.argv[2] === 'guard') await import('./bin/guard.js')\nelse await import('./bin/lockstep-mcp.js')\n")
chmodSync(target, 0o755)
