import type { InstallResult, TargetResult } from './install.js'
import { displayPath } from './projects.js'
import { planCodexInstall } from './_codex-config.js'

const CLIENT_LABELS = { claude: 'Claude Code', codex: 'Codex' } as const

/** The text report of install/uninstall (CLI §3, §4): results for stdout, errors and warnings for stderr. */
export function formatInstall(result: InstallResult): { out: string; err: string } {
  const out: string[] = []
  const err: string[] = []
  for (const target of result.targets) {
    out.push(`${CLIENT_LABELS[target.client]} (${target.scope}): ${describe(result, target)}`)
    if (result.dryRun && target.action === 'written' && target.entry) out.push(indent(entryText(result.name, target)))
    for (const old of target.replaced) out.push(`  also removed the old '${old}' entry, which ran lockstep-mcp`)
    for (const note of target.notes) out.push(`  ${note.replaceAll(target.file, displayPath(target.file))}`)
    for (const warning of target.warnings) err.push(`warning: ${warning}`)
    if (target.error) err.push(`error [${target.error.code}]: ${target.error.message}`)
  }
  const worked = result.targets.some((target) => target.action === 'written' || target.action === 'unchanged')
  if (result.command === 'install' && worked && !result.dryRun) out.push(`Next: run 'lockstep-mcp init' in your project.`)
  if (result.dryRun) out.push('Dry run: nothing was written.')
  return { out: lines(out), err: lines(err) }
}

function describe(result: InstallResult, target: TargetResult): string {
  const file = displayPath(target.file)
  const name = result.name
  switch (target.action) {
    case 'written':
      return result.dryRun ? `would write ${name} to ${file}` : `wrote ${name} to ${file}`
    case 'unchanged':
      return `${name} in ${file} is already up to date (unchanged)`
    case 'removed':
      return result.dryRun ? `would remove ${name} from ${file}` : `removed ${name} from ${file}`
    case 'not found':
      return `${name} not found in ${file}`
    case 'failed':
      return `failed; ${file} was left untouched`
  }
}

function entryText(name: string, target: TargetResult): string {
  if (target.client === 'codex') return planCodexInstall(null, target.file, name, target.entry!).text.trim()
  return JSON.stringify({ mcpServers: { [name]: target.entry } }, null, 2)
}

function indent(text: string): string {
  return text.split('\n').map((line) => `    ${line}`).join('\n')
}

function lines(items: string[]): string {
  return items.length ? `${items.join('\n')}\n` : ''
}
