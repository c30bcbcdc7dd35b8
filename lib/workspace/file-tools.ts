import * as v from 'valibot'
import type { ProjectRef } from '../../storage/documents.js'
import { resolveAccessPath, type ResolvedPath } from './access.js'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { readFileSafe, writeFileAtomic } from './files.js'
import { identityFor } from '../state/identity.js'
import { MAX_CONTENT_BYTES } from '../core/limits.js'
import { projectFor, strictRoots, workRootFor } from '../state/projects.js'
import { readLeasedState } from '../tasks/task-queries.js'
import { Name, ProjectRoot, parseInput } from '../core/validate.js'
import { conflictsFor, lockedError } from '../locks/conflicts.js'
import { emitEvent, recordRefusals } from '../state/tool-events.js'

export { MAX_CONTENT_BYTES }
export const FILE_ENCODINGS = ['utf8', 'utf16le', 'latin1', 'ascii', 'base64', 'hex'] as const

// NUL bytes pass the schema on purpose: the access policy refuses them with FORBIDDEN, as it does every escape
const FilePath = v.pipe(v.string(), v.minLength(1), v.maxLength(4096))
export const MaxBytes = v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_CONTENT_BYTES)), 1024 * 1024)
export const Offset = v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER)), 0)
// hex spends two characters per byte; the decoded size is checked against the 4 MiB limit after parsing
export const Content = v.pipe(v.string(), v.maxLength(2 * MAX_CONTENT_BYTES))
export const WriteMode = v.optional(v.picklist(['overwrite', 'append']), 'overwrite')

export const FileReadInput = v.strictObject({
  path: FilePath,
  encoding: v.optional(v.picklist(FILE_ENCODINGS), 'utf8'),
  maxBytes: MaxBytes,
  offset: Offset,
  binary: v.optional(v.boolean(), false),
  projectRoot: ProjectRoot,
})

/**
 * Read a file under the access policy: at most maxBytes from offset, fewer when the answer would be too large
 * (then `nextOffset` says where to carry on). Throws NOT_FOUND, INVALID_INPUT, FORBIDDEN.
 */
export async function readFileTool(ctx: Ctx, raw: unknown) {
  const input = parseInput(FileReadInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  return recordRefusals(ctx, project, 'file.refused', { tool: 'file_read', path: input.path }, async () => {
    const resolved = await resolveFor(ctx, project, input.path, false)
    const read = await readFileSafe({ absPath: resolved.realPath, encoding: input.encoding, maxBytes: input.maxBytes, binary: input.binary, offset: input.offset })
    return { path: resolved.realPath, ...relativeOf(resolved), ...read }
  })
}

export const FileWriteInput = v.strictObject({
  path: FilePath,
  content: Content,
  encoding: v.optional(v.picklist(FILE_ENCODINGS), 'utf8'),
  mode: WriteMode,
  createDirs: v.optional(v.boolean(), false),
  owner: v.optional(Name),
  projectRoot: ProjectRoot,
})

/**
 * Write a file atomically (or append), refused when another holder's active lock covers its project-relative path.
 * Throws LOCKED, FORBIDDEN, NOT_FOUND (missing folder without createDirs), INVALID_INPUT.
 */
export async function writeFileTool(ctx: Ctx, raw: unknown) {
  const input = parseInput(FileWriteInput, raw)
  assertContentSize(input.content, input.encoding)
  const project = projectFor(ctx, input.projectRoot)
  return recordRefusals(ctx, project, 'file.refused', { tool: 'file_write', path: input.path }, async () => {
    const owner = await identityFor(ctx, project, input.owner, 'owner')
    const resolved = await resolveFor(ctx, project, input.path, true)
    const relativePath = resolved.relativePath
    // outside the work root no lock can cover the file: lock paths are relative to it
    if (relativePath !== undefined) {
      const { locks } = await readLeasedState(ctx, project)
      const conflicts = conflictsFor(locks, relativePath, owner)
      if (conflicts.length) throw lockedError(relativePath, conflicts)
    }
    const written = await writeFileAtomic({
      absPath: resolved.realPath,
      content: input.content,
      encoding: input.encoding,
      mode: input.mode,
      createDirs: input.createDirs,
    })
    if (relativePath !== undefined) {
      await emitEvent(ctx, project, { type: 'file.written', actor: owner, ids: { path: relativePath }, data: { bytes: written.bytes, mode: input.mode } })
    }
    return { path: resolved.realPath, bytes: written.bytes, mode: input.mode, created: written.created }
  })
}

/** Resolve a path against the session's work root under the configured access mode. */
async function resolveFor(ctx: Ctx, project: ProjectRef, path: string, forWrite: boolean): Promise<ResolvedPath> {
  const mode = ctx.settings.mode
  const roots = mode === 'strict' ? strictRoots(ctx) : []
  return resolveAccessPath({ path, workRoot: workRootFor(ctx, project), mode, roots, forWrite })
}

function relativeOf(resolved: ResolvedPath): { relativePath?: string } {
  return resolved.relativePath === undefined ? {} : { relativePath: resolved.relativePath }
}

/** Content is limited to 4 MiB once decoded. Throws INVALID_INPUT. */
export function assertContentSize(content: string, encoding: BufferEncoding): number {
  const bytes = Buffer.byteLength(content, encoding)
  if (bytes > MAX_CONTENT_BYTES) {
    throw new LockstepError('INVALID_INPUT', `content is ${bytes} bytes once decoded; the limit is ${MAX_CONTENT_BYTES} (4 MiB). Split it into several writes or files.`, {
      property: 'content',
      bytes,
      limit: MAX_CONTENT_BYTES,
    })
  }
  return bytes
}
