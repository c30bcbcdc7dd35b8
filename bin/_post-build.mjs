// Writes dist/cli.js, the package's bin: a stable path that client configurations point at.
import { writeFileSync, chmodSync } from 'node:fs'
const target = new URL('../dist/cli.js', import.meta.url)
writeFileSync(target, "#!/usr/bin/env node\nimport './bin/lockstep-mcp.js'\n")
chmodSync(target, 0o755)
