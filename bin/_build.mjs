// Builds dist/: one ES module bundle of the CLI and its dependencies, split at dynamic imports, so that a server
// starts by reading a few files instead of resolving and compiling hundreds (its cold start halves).
import { build } from 'esbuild'
import { chmodSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
rmSync(`${root}/dist`, { recursive: true, force: true })
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'bin/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies bundled into an ES module still call require() for Node's built-in modules
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __lockstepRequire } from 'node:module';\nconst require = __lockstepRequire(import.meta.url);" },
  // its CommonJS build requires its own files by computed names, which a bundle cannot follow: loaded from node_modules
  external: ['jsonc-parser'],
  logLevel: 'warning',
})
chmodSync(`${root}/dist/cli.js`, 0o755)
