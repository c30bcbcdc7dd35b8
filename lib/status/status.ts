import * as v from 'valibot'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Ctx } from '../state/context.js'
import { projectFor } from '../state/projects.js'
import { programsRunningAnything } from '../commands/command-guard.js'
import { readProjectDocuments } from '../project/project-documents.js'
import { ProjectRoot, parseInput } from '../core/validate.js'

export const StatusInput = v.strictObject({ projectRoot: ProjectRoot })

/** The server's settings, the project and this session, with counts for this project only. */
export async function getStatus(ctx: Ctx, raw: unknown) {
  const input = parseInput(StatusInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const { project: projectDoc, agents, notes, discussions, artifacts, leased } = await readProjectDocuments(ctx, project)
  const s = ctx.settings
  const binding = ctx.caller.binding
  return {
    version: s.serverVersion,
    config: {
      mode: s.mode,
      roots: s.roots,
      home: s.home,
      dataDir: s.dataDir,
      logDir: s.logDir,
      command: commandPolicy(s.commandMode, s.commandAllow),
      tools: s.tools,
      leaseTtlSec: s.leaseTtlSec,
      graceSec: s.graceSec,
      transport: s.transport,
    },
    project: {
      id: project.id,
      root: project.root,
      name: project.name,
      status: projectDoc.context ? projectDoc.status : 'unknown',
      storeDir: project.dir,
      initialised: existsSync(join(project.root, '.lockstep', 'state.json')),
    },
    session: { id: ctx.caller.sessionId, ...(binding ? { name: binding.name, role: binding.role } : {}) },
    stateSummary: {
      tasks: leased.tasks.length,
      locks: leased.locks.filter((lock) => lock.status === 'active').length,
      notes: notes.notes.length,
      discussions: discussions.discussions.length,
      implementers: agents.agents.filter((agent) => agent.role === 'implementer').length,
    },
    artifacts: artifacts.artifacts.map((artifact) => ({ name: artifact.name, bytes: artifact.bytes, updatedAt: artifact.updatedAt, author: artifact.author })),
  }
}

/** The command policy, saying plainly when an allowed program is an interpreter: then the allowlist allows anything. */
function commandPolicy(mode: Ctx['settings']['commandMode'], allow: readonly string[]) {
  const runsAnything = programsRunningAnything(allow)
  if (mode !== 'allowlist' || !runsAnything.length) return { mode, allow }
  const warning = `${runsAnything.join(', ')} run${runsAnything.length === 1 ? 's' : ''} any code given to ${runsAnything.length === 1 ? 'it' : 'them'}: with ${runsAnything.length === 1 ? 'it' : 'them'} on the allowlist, an agent can do anything the server's user can.`
  return { mode, allow, runsAnything, warning }
}
