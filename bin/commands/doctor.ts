import { Option } from 'clipanion'
import { createInterface } from 'node:readline/promises'
import { runDoctor, type DoctorReport } from '../../lib/project/doctor.js'
import { BaseCommand } from './base.js'

export class DoctorCommand extends BaseCommand {
  static override paths = [['doctor']]
  static override usage = BaseCommand.Usage({
    description: "Find and explain every problem in the project's store; --repair fixes them, keeping a copy of what it replaces.",
    details: 'Exit 0 when the store is sound (or was repaired), 1 when problems remain. --repair asks before it changes anything, unless --yes.',
  })

  dir = Option.String('--dir', { description: 'Project folder (default: the current folder)' })
  dataDir = Option.String('--data-dir', { description: 'Data folder (default: the home folder)' })
  repair = Option.Boolean('--repair', false, { description: 'Repair what is found' })
  yes = Option.Boolean('--yes', false, { description: 'Repair without asking' })

  async run(): Promise<number> {
    const flags = { dataDir: this.dataDir }
    let report = await runDoctor({ dir: this.dir, flags }, this.context)
    if (this.repair && report.problems.length && (this.yes || (await this.confirm(report)))) {
      report = await runDoctor({ dir: this.dir, flags, repair: true }, this.context)
    }
    if (this.json) this.outJson(report)
    else this.out(format(report, this.repair))
    return report.problems.length ? 1 : 0
  }

  private async confirm(report: DoctorReport): Promise<boolean> {
    this.out(format(report, false))
    if (!(this.context.stdin as NodeJS.ReadStream).isTTY) {
      this.context.stderr.write('error [INVALID_INPUT]: --repair needs a yes: run it in a terminal, or add --yes.\n')
      return false
    }
    const prompt = createInterface({ input: this.context.stdin as NodeJS.ReadStream, output: this.context.stdout as NodeJS.WriteStream })
    const answer = await prompt.question(`Repair ${report.problems.length} problem(s)? [y/N] `)
    prompt.close()
    return /^y(es)?$/i.test(answer.trim())
  }
}

function format(report: DoctorReport, repairing: boolean): string {
  const lines = [`Store of ${report.project.name} (${report.project.root}): ${report.project.storeDir}`]
  if (report.facts) {
    const { commits, events, voidLines, unreadableLines, journalBytes, restorePoints } = report.facts
    lines.push(`  ${commits} commit(s), ${events} event(s), journal ${journalBytes} bytes, ${restorePoints.length} restore point(s)`)
    if (voidLines) lines.push(`  ${voidLines} void line(s): commits of writers whose lock was broken while they stalled; they never counted`)
    if (unreadableLines) lines.push(`  ${unreadableLines} line(s) that do not parse are skipped`)
  } else lines.push('  no store yet: nothing has been written for this project')
  for (const done of report.repaired) lines.push(`  repaired: ${done}`)
  for (const problem of report.problems) lines.push(`  problem: ${problem.message}`, `    fix: ${problem.repair}`)
  if (!report.problems.length) lines.push('  No problems found.')
  else if (!repairing) lines.push('Next: lockstep-mcp doctor --repair')
  return lines.join('\n')
}
