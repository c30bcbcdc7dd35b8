import type { CheckId, CheckItem, CheckResult } from '../../lib/project/check.js'

const TEXT_ITEM_LIMIT = 10

/** The text report of `lockstep-mcp check` (docs/cli.md#check), ending with a newline. Item lists stop after 10 entries. */
export function formatCheck(result: CheckResult): string {
  if (!result.project || !result.summary) return `lockstep check: error  ${result.error ?? 'no result'}\n`
  const done = `${result.summary.done}/${result.summary.total} tasks done`
  if (result.ok) return `lockstep check: ok  ${result.project.name} (${done})\n`
  const lines = [`lockstep check: FAIL  ${result.project.name} (${result.project.status}, ${done})`]
  for (const failure of result.failures) {
    const shown = failure.items.slice(0, TEXT_ITEM_LIMIT).map((item) => formatItem(failure.check, item))
    if (failure.items.length > TEXT_ITEM_LIMIT) shown.push('…')
    lines.push(shown.length ? `- ${failure.message}: ${shown.join(', ')}` : `- ${failure.message}`)
  }
  return `${lines.join('\n')}\n`
}

function formatItem(check: CheckId, item: CheckItem): string {
  const label = `${item.id} ${JSON.stringify(item.title)}`
  if (check === 'tasks_in_review') return label
  if (item.status === 'waiting' && item.waitingOn) return `${label} (waiting on ${item.waitingOn})`
  return `${label} (${item.status})`
}
