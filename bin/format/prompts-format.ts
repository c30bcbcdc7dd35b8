import type { PromptRole } from '../../lib/agents/prompts.js'

/** Prompts as text: one prompt alone, or both under `== planner ==` and `== implementer ==`. */
export function formatPrompts(prompts: { planner?: string; implementer?: string }): string {
  const entries = Object.entries(prompts) as [PromptRole, string][]
  if (entries.length === 1) return entries[0]![1]
  return entries.map(([role, text]) => `== ${role} ==\n${text}`).join('\n')
}
