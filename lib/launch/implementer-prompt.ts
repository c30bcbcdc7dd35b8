/** The first argument of a launched implementer: one line, so it survives every shell and Terminal.app. */
export function implementerPrompt(agent: { name: string; worktreePath?: string; branchName?: string }): string {
  const where = agent.worktreePath
    ? ` Work only in the git worktree ${agent.worktreePath} on branch ${agent.branchName}, commit your work there, and leave .lockstep/ alone.`
    : ''
  return (
    `You are implementer "${agent.name}" coordinated by lockstep-mcp.${where}` +
    ` First call the lockstep tool coordination_init({role: "implementer", name: "${agent.name}"}) and follow its instruction:` +
    ' claim tasks with task_claim_next, lock files before editing them, and submit finished work for review. Do not wait for the user between tasks.'
  )
}
