import * as v from 'valibot'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { inspectStore, repairStore, type StoreFacts, type StoreProblem } from '../../storage/recovery/doctor.js'
import type { DocumentDef } from '../../storage/documents.js'
import { projectRef } from '../../storage/projects.js'
import { LockstepError } from '../errors.js'
import { DOCUMENTS } from '../state/schema.js'
import { resolveSettings, type SettingsFlags } from '../state/settings.js'
import { parseInput } from '../core/validate.js'
import { packageVersion } from '../core/version.js'

export interface DoctorReport {
  project: { name: string; root: string; storeDir: string }
  problems: StoreProblem[]
  facts: StoreFacts | null
  /** What --repair did, one line per problem. */
  repaired: string[]
}

const DoctorInput = v.object({
  dir: v.optional(v.string()),
  repair: v.optional(v.boolean(), false),
  flags: v.optional(v.record(v.string(), v.optional(v.string())), {}),
})

const REGISTRY = DOCUMENTS as unknown as Record<string, DocumentDef<object>>

/**
 * Find every problem in the store of the project that contains `dir` and, with `repair`, fix them: a corrupt document
 * from its newest sound restore point (or the journal), a journal cut where it stops following, keeping copies.
 * Throws INVALID_INPUT, NOT_FOUND.
 */
export async function runDoctor(raw: unknown, host: { env: NodeJS.ProcessEnv; cwd: string }): Promise<DoctorReport> {
  const input = parseInput(DoctorInput, raw)
  const { settings } = resolveSettings(input.flags as SettingsFlags, host.env, host.cwd, packageVersion())
  const project = projectRef(settings.dataDir, resolve(host.cwd, input.dir ?? '.'))
  const report: DoctorReport = { project: { name: project.name, root: project.root, storeDir: project.dir }, problems: [], facts: null, repaired: [] }
  if (!existsSync(project.dir)) return report
  const found = await inspectStore(project, REGISTRY)
  Object.assign(report, found)
  if (!input.repair || !found.problems.length) return report
  if (found.problems.some((problem) => problem.kind === 'newer_schema')) {
    throw new LockstepError('CONFLICT', 'A document was written by a newer lockstep-mcp; upgrade lockstep-mcp instead of repairing.', { storeDir: project.dir })
  }
  report.repaired = await repairStore(project, REGISTRY, found.problems)
  report.problems = (await inspectStore(project, REGISTRY)).problems
  return report
}
