// The conformance suite imports `globSync` from node:fs, which Node 20 lacks; it only uses it for its tier-check
// command, never for server scenarios. On Node 20 this hook hands the suite node:fs plus a globSync that throws.
import { register } from 'node:module'
import fs from 'node:fs'

if (!fs.globSync) {
  register(
    'data:text/javascript,' +
      encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL?.includes('/@modelcontextprotocol/conformance/')) {
    return { url: 'lockstep-shim:fs', shortCircuit: true }
  }
  return next(specifier, context)
}
export async function load(url, context, next) {
  if (url !== 'lockstep-shim:fs') return next(url, context)
  const source = "import fs from 'node:fs'; export * from 'node:fs'; export default fs; export function globSync() { throw new Error('globSync needs Node 22') }"
  return { format: 'module', source, shortCircuit: true }
}`),
  )
}
