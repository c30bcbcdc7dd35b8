import * as v from 'valibot'
import { resolve } from 'node:path'
import { projectIdentity } from '../../storage/projects.js'
import { disableProjectFiles, initProjectFiles, type FileReport } from './instructions.js'
import { installGuards, removeGuards } from '../guard/guard-setup.js'
import type { LockstepStore } from '../state/context.js'
import { writeSnapshotNow } from '../state/snapshot.js'
import { parseInput } from '../core/validate.js'

export interface SetupResult {
  command: 'init' | 'enable' | 'disable'
  project: { name: string; root: string }
  /** The project's store folder; `created` is set by init and enable only. */
  store?: { dir: string; action: 'created' | 'unchanged' }
  files: FileReport[]
}

const SetupInput = v.object({
  dir: v.optional(v.string()),
  force: v.optional(v.boolean(), false),
  /** Skip the edit and commit guards (init --no-guards). */
  guards: v.optional(v.boolean(), true),
})

/**
 * `init` (docs/cli.md#init): the instruction block in AGENTS.md, CLAUDE.md and GEMINI.md, `.lockstep/` with its `.gitignore` and
 * `state.json`, and the project's store folder. All three instruction files are checked before anything is written.
 * Throws INVALID_INPUT, NOT_FOUND, CONFLICT (malformed markers), CORRUPT_STATE, BUSY.
 */
export async function initProject(store: LockstepStore, raw: unknown, host: { cwd: string }): Promise<SetupResult> {
  const input = parseInput(SetupInput, raw)
  return setUp(store, 'init', input, host)
}

/** `enable`: init without `--force`, to put the blocks and guards back after `disable`. Throws as initProject. */
export async function enableProject(store: LockstepStore, raw: unknown, host: { cwd: string }): Promise<SetupResult> {
  const input = parseInput(SetupInput, raw)
  return setUp(store, 'enable', { ...input, force: false }, host)
}

/** `disable`: remove the block from both files and our guards; the files, `.lockstep/` and the store stay. Throws NOT_FOUND, CONFLICT. */
export async function disableProject(raw: unknown, host: { env: NodeJS.ProcessEnv; cwd: string }): Promise<SetupResult> {
  const input = parseInput(SetupInput, raw)
  const root = projectIdentity(resolve(host.cwd, input.dir ?? '.'))
  const files = [...(await disableProjectFiles(root)), ...(await removeGuards(root))]
  return { command: 'disable', project: { name: projectName(root), root }, files }
}

async function setUp(store: LockstepStore, command: 'init' | 'enable', input: v.InferOutput<typeof SetupInput>, host: { cwd: string }): Promise<SetupResult> {
  const project = store.project(resolve(host.cwd, input.dir ?? '.'))
  const files = await initProjectFiles(project.root, { force: input.force })
  const created = await store.transact(project, ['project'], (_docs, tx) => tx.created)
  files.push({ file: '.lockstep/state.json', action: await writeSnapshotNow(store, project) })
  if (input.guards) files.push(...(await installGuards(project.root)))
  return { command, project: { name: project.name, root: project.root }, store: { dir: project.dir, action: created ? 'created' : 'unchanged' }, files }
}

function projectName(root: string): string {
  return root.split(/[\\/]/).filter(Boolean).at(-1) ?? root
}
