import type { SetupResult } from '../../lib/project/project-setup.js'
import { displayPath } from '../../lib/state/projects.js'

/** One line per file, e.g. `CLAUDE.md: updated`, after a header naming the project. */
export function formatSetup(result: SetupResult): string {
  const lines = [`${result.project.name}  ${displayPath(result.project.root)}`]
  for (const file of result.files) lines.push(`  ${file.file}: ${file.action}`)
  if (result.store) lines.push(`  store ${displayPath(result.store.dir)}: ${result.store.action}`)
  if (result.command === 'disable') lines.push(`Agents here no longer see the coordination instructions; 'lockstep-mcp enable' puts them back.`)
  else if (result.files.some((file) => file.file.endsWith('pre-commit'))) lines.push('Guards: clients refuse edits, and git refuses commits, of files another agent has locked.')
  if (result.command !== 'disable') lines.push(`Next: start your agents in ${displayPath(result.project.root)}; a planner calls coordination_init with role planner.`)
  return `${lines.join('\n')}\n`
}
