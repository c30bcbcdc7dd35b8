import type { InstallResult, TargetResult } from '../../lib/clients/install.js'
import { displayPath } from '../../lib/state/projects.js'
import { CLIENT_LABELS, JSON_KEYS } from '../../lib/clients/clients.js'
import { planCodexInstall } from '../../lib/clients/codex-config.js'

/** The text report of install/uninstall (docs/cli.md#install, docs/cli.md#uninstall): results for stdout, errors and warnings for stderr. */
export function formatInstall(result: InstallResult): { out: string; err: string } {
  const out: string[] = []
  const err: string[] = []
  const labels = [...new Set(result.targets.map((target) => CLIENT_LABELS[target.client]))].join(', ')
  if (result.selection === 'found') out.push(`Clients found on this machine: ${labels} (name others with --client <name>).`)
  if (result.selection === 'default') out.push(`No client found on this machine; using ${labels} (name others with --client <name>).`)
  for (const target of result.targets) {
    out.push(`${CLIENT_LABELS[target.client]} (${target.scope}): ${describe(result, target)}`)
    if (result.dryRun && target.action === 'written' && target.entry) out.push(indent(entryText(result.name, target)))
    for (const old of target.replaced) out.push(`  also removed the old '${old}' entry, which ran lockstep-mcp`)
    for (const note of target.notes) out.push(`  ${note.replaceAll(target.file, displayPath(target.file))}`)
    for (const warning of target.warnings) err.push(`warning: ${warning}`)
    if (target.error) err.push(`error [${target.error.code}]: ${target.error.message}`)
  }
  const written = result.targets.filter((target) => target.action === 'written')
  const worked = result.targets.some((target) => target.action === 'written' || target.action === 'unchanged')
  const failed = result.targets.some((target) => target.action === 'failed')
  if (result.dryRun) out.push('Dry run: nothing was written.')
  else if (failed) out.push('Next: fix what the errors above name, then run the same command again; the other files are done.')
  else if (result.command === 'install' && worked) {
    const restart = written.length ? `restart ${[...new Set(written.map((target) => CLIENT_LABELS[target.client]))].join(', ')} (a running client reads its configuration only at start), then ` : ''
    out.push(`Next: ${restart}run 'lockstep-mcp init' in your project.`)
  } else if (result.command === 'uninstall' && result.targets.some((target) => target.action === 'removed')) {
    out.push('Next: restart those clients; they no longer start lockstep-mcp.')
  }
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
  return JSON.stringify({ [JSON_KEYS[target.client]]: { [name]: target.entry } }, null, 2)
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')
}

function lines(items: string[]): string {
  return items.length ? `${items.join('\n')}\n` : ''
}
