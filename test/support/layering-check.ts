// The import rules of the house, as pure functions over a graph {file → files it imports} (paths relative to the
// repository root, with '/'), so the rules can be tested on a graph made up for the purpose.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, posix, relative } from 'node:path'

export type ImportGraph = Record<string, string[]>

/** Lower ranks are imported by higher ones, never the other way. A file takes the rank of its longest matching prefix. */
export const LAYERS: Record<string, number> = {
  'lib/errors.ts': 0,
  'lib/core/': 0,
  'storage/': 1,
  'lib/git/': 1,
  'lib/state/': 2,
  'lib/agents/': 3,
  'lib/clients/': 3,
  'lib/commands/': 3,
  'lib/guard/': 3,
  'lib/launch/': 3,
  'lib/locks/': 3,
  'lib/messages/': 3,
  'lib/project/': 3,
  'lib/status/': 3,
  'lib/tasks/': 3,
  'lib/workspace/': 3,
  'lib/mcp/': 4,
  'lib/http/': 4,
  'lib/daemon/': 4,
  'lib/dashboard/': 4,
  'bin/': 5,
}

export function rankOf(file: string, layers: Record<string, number> = LAYERS): number | undefined {
  const prefix = Object.keys(layers)
    .filter((key) => file === key || (key.endsWith('/') && file.startsWith(key)))
    .sort((a, b) => b.length - a.length)[0]
  return prefix === undefined ? undefined : layers[prefix]
}

/** Files in no layer (a new folder must be given its rank) and imports from a lower rank to a higher one. */
export function layerViolations(graph: ImportGraph, layers: Record<string, number> = LAYERS): string[] {
  const found: string[] = []
  for (const [file, imports] of Object.entries(graph)) {
    const rank = rankOf(file, layers)
    if (rank === undefined) {
      found.push(`${file}: in no layer`)
      continue
    }
    for (const target of imports) {
      const targetRank = rankOf(target, layers)
      if (targetRank !== undefined && targetRank > rank) found.push(`${file} imports ${target}, a higher layer`)
    }
  }
  return found
}

/** Every import cycle, as the files of one strongly connected component (Tarjan), a file importing itself included. */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  let next = 0
  const visit = (file: string): void => {
    index.set(file, next)
    low.set(file, next++)
    stack.push(file)
    onStack.add(file)
    for (const target of graph[file] ?? []) {
      if (!index.has(target)) {
        visit(target)
        low.set(file, Math.min(low.get(file)!, low.get(target)!))
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!))
    }
    if (low.get(file) !== index.get(file)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== file)
    if (component.length > 1 || (graph[file] ?? []).includes(file)) cycles.push(component.sort())
  }
  for (const file of Object.keys(graph).sort()) if (!index.has(file)) visit(file)
  return cycles
}

/**
 * Imports of a `_file` from outside its own folder, counting only `_files` under one of `within` (every one when it is
 * absent). A test file (under test/) is outside every folder of lib/, storage/ and bin/.
 */
export function privateImports(graph: ImportGraph, within?: string[]): string[] {
  const checked = (target: string) => within === undefined || within.some((prefix) => target.startsWith(prefix))
  return Object.entries(graph).flatMap(([file, imports]) =>
    imports
      .filter((target) => posix.basename(target).startsWith('_') && posix.dirname(target) !== posix.dirname(file) && checked(target))
      .map((target) => `${file} imports ${target}, private to ${posix.dirname(target)}/`),
  )
}

const RELATIVE_IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g

export function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name)
    return statSync(full).isDirectory() ? sourceFiles(full) : /\.(ts|mjs)$/.test(name) ? [full] : []
  })
}

/** The relative-import graph of the sources under `folders`, with `.js` specifiers read as the `.ts` files they name. */
export function readImportGraph(root: string, folders: string[]): ImportGraph {
  const graph: ImportGraph = {}
  for (const full of folders.flatMap((folder) => sourceFiles(join(root, folder)))) {
    const file = relative(root, full).replaceAll('\\', '/')
    graph[file] = [...readFileSync(full, 'utf8').matchAll(RELATIVE_IMPORT)].map((match) => posix.normalize(posix.join(posix.dirname(file), match[1])).replace(/\.js$/, '.ts'))
  }
  return graph
}
