import { LockstepError } from './errors.js'
import { isTable, namesToRemove, sameMeaning, splitBom, type ConfigEdit } from './_config-shared.js'

type Table = Record<string, unknown>

/** Put `mcpServers.<name>` into a Claude-format JSON file, keeping every other key. Throws CONFLICT. */
export function planClaudeInstall(text: string | null, file: string, name: string, entry: Table): ConfigEdit {
  const { doc, servers } = parseConfig(text, file)
  const { ours, old } = namesToRemove(servers, name)
  if (ours && old.length === 0 && sameMeaning(servers[name], entry)) {
    return { text: text ?? '', changed: false, replaced: [], found: true, warnings: [] }
  }
  for (const key of old) delete servers[key]
  // assigning keeps an existing key where it was, so the file's order is preserved
  servers[name] = entry
  doc['mcpServers'] = servers
  return { text: serialise(doc, text), changed: true, replaced: old, found: ours, warnings: [] }
}

/** Remove `mcpServers.<name>` (and an old `lockstep` entry running lockstep-mcp). Throws CONFLICT. */
export function planClaudeUninstall(text: string | null, file: string, name: string): ConfigEdit {
  const unchanged = { text: text ?? '', changed: false, replaced: [], found: false, warnings: [] }
  if (text === null) return unchanged
  const { doc, servers } = parseConfig(text, file)
  const { ours, old } = namesToRemove(servers, name)
  if (!ours && old.length === 0) return unchanged
  for (const key of [name, ...old]) delete servers[key]
  return { text: serialise(doc, text), changed: true, replaced: old, found: ours, warnings: [] }
}

function parseConfig(text: string | null, file: string): { doc: Table; servers: Table } {
  const body = splitBom(text ?? '').body
  let doc: unknown = {}
  if (body.trim() !== '') {
    try {
      doc = JSON.parse(body)
    } catch (error) {
      throw refuse(file, `is not valid JSON (${(error as Error).message})`)
    }
  }
  if (!isTable(doc)) {
    throw refuse(file, 'does not hold a JSON object')
  }
  const servers = doc['mcpServers'] ?? {}
  if (!isTable(servers)) {
    throw refuse(file, 'has an mcpServers value that is not an object')
  }
  return { doc, servers }
}

function refuse(file: string, problem: string): LockstepError {
  return new LockstepError('CONFLICT', `${file} ${problem}; fix it by hand and run the command again. The file was not changed.`, {
    file,
  })
}

/** 2-space indent; a BOM and the presence of a final newline are kept, a new file ends with one. */
function serialise(doc: Table, original: string | null): string {
  const { bom, body } = splitBom(original ?? '')
  const finalNewline = original === null || body.trim() === '' || body.endsWith('\n')
  return bom + JSON.stringify(doc, null, 2) + (finalNewline ? '\n' : '')
}
