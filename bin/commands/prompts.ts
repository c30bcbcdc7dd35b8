import { Option } from 'clipanion'
import { buildPrompts } from '../../lib/agents/prompts.js'
import { formatPrompts } from '../format/prompts-format.js'
import { BaseCommand } from './base.js'

export class PromptsCommand extends BaseCommand {
  static override paths = [['prompts']]
  static override usage = BaseCommand.Usage({
    description: 'Print the planner and implementer prompts to start agents with.',
    details: 'Without --role both are printed, under `== planner ==` and `== implementer ==`.',
  })

  role = Option.String('--role', { description: 'planner or implementer' })
  name = Option.String('--name', { description: "The implementer's name, written into its coordination_init call" })

  async run(): Promise<void> {
    const prompts = buildPrompts({ role: this.role, name: this.name })
    if (this.json) this.outJson(prompts)
    else this.out(formatPrompts(prompts))
  }
}
