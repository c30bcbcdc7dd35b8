import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { dirname, join } from 'node:path'
import * as v from 'valibot'
import { writeFileAtomic as writeStoreFile } from '../../storage/atomic.js'
import { ensureDir, type ProjectRef } from '../../storage/documents.js'
import type { Ctx } from '../state/context.js'
import { LockstepError } from '../errors.js'
import { assertContentSize, Content, FILE_ENCODINGS, MAX_CONTENT_BYTES, MaxBytes, Offset, WriteMode } from '../workspace/file-tools.js'
import { pageOf } from '../workspace/files.js'
import { identityFor } from '../state/identity.js'
import { ARTIFACT_PREFIX } from '../locks/lock-paths.js'
import { mutate } from '../state/project-tx.js'
import { projectFor } from '../state/projects.js'
import type { Artifact } from '../state/schema.js'
import { Name, ProjectRoot, parseInput } from '../core/validate.js'
import { conflictsFor, lockedError } from '../locks/conflicts.js'
import { recordRefusals } from '../state/tool-events.js'

const AVAILABLE_SHOWN = 20
const READ_ATTEMPTS = 5

const ArtifactName = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(200),
  v.regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'an artifact name is /-separated segments of A-Z a-z 0-9 . _ -'),
  v.check((name) => name.split('/').every((segment) => segment !== '.' && segment !== '..'), 'the segments . and .. are not allowed'),
)

export const ArtifactReadInput = v.strictObject({
  path: ArtifactName,
  encoding: v.optional(v.picklist(FILE_ENCODINGS)),
  maxBytes: MaxBytes,
  offset: Offset,
  binary: v.optional(v.boolean(), false),
  projectRoot: ProjectRoot,
})

/** Read an artifact of the project store, at most maxBytes from offset, paged like file_read. Throws NOT_FOUND (with data.available). */
export async function readArtifact(ctx: Ctx, raw: unknown) {
  const input = parseInput(ArtifactReadInput, raw)
  const project = projectFor(ctx, input.projectRoot)
  const { artifact, data } = await readConsistent(ctx, project, input.path)
  // a binary artifact comes back as base64 unless another encoding is asked for
  const encoding = input.binary ? 'base64' : (input.encoding ?? artifact.encoding)
  const page = pageOf(data.subarray(input.offset, input.offset + input.maxBytes), input.offset, data.length, encoding)
  return {
    path: artifact.name,
    name: artifact.name,
    ...page,
    version: artifact.version,
    author: artifact.author,
    updatedAt: artifact.updatedAt,
  }
}

export const ArtifactWriteInput = v.strictObject({
  path: ArtifactName,
  content: Content,
  encoding: v.optional(v.picklist(['utf8', 'base64']), 'utf8'),
  mode: WriteMode,
  createDirs: v.optional(v.boolean()),
  owner: v.optional(Name),
  projectRoot: ProjectRoot,
})

/**
 * Write or append to an artifact: content file and metadata commit in one transaction, version + 1. Throws LOCKED
 * (`artifact:<name>` held by another), CONFLICT (the name clashes with another artifact), FORBIDDEN, INVALID_INPUT.
 */
export async function writeArtifact(ctx: Ctx, raw: unknown) {
  const input = parseInput(ArtifactWriteInput, raw)
  const added = Buffer.from(input.content, input.encoding)
  assertContentSize(input.content, input.encoding)
  const project = projectFor(ctx, input.projectRoot)
  const name = input.path
  return recordRefusals(ctx, project, 'artifact.refused', { tool: 'artifact_write', name }, async () => {
    const owner = await identityFor(ctx, project, input.owner, 'owner')
    for (;;) {
      // appending needs the current bytes, read before the transaction (its callback is synchronous) and checked in it
      const base = input.mode === 'append' ? await readCurrent(ctx, project, name) : undefined
      try {
        return await mutate(
          ctx,
          project,
          ['locks', 'artifacts'],
          (docs, tx) => {
            const conflicts = conflictsFor(docs.locks.locks, ARTIFACT_PREFIX + name, owner)
            if (conflicts.length) throw lockedError(ARTIFACT_PREFIX + name, conflicts)
            const list = docs.artifacts.artifacts
            assertNoClash(list, name)
            const existing = list.find((item) => item.name === name)
            if (input.mode === 'append' && existing?.sha256 !== base?.artifact.sha256) throw new StaleBase()
            const data = base ? Buffer.concat([base.data, added]) : added
            if (data.length > MAX_CONTENT_BYTES) {
              throw new LockstepError('INVALID_INPUT', `Appending would make ${name} ${data.length} bytes; artifacts are limited to 10 MiB. Start another artifact.`, {
                property: 'content',
                bytes: data.length,
                limit: MAX_CONTENT_BYTES,
              })
            }
            const now = tx.now.toISOString()
            const encoding = input.encoding === 'base64' || base?.artifact.encoding === 'base64' ? 'base64' : 'utf8'
            const fields = { bytes: data.length, sha256: sha256(data), encoding, author: owner, updatedAt: now } as const
            const artifact: Artifact = existing ? Object.assign(existing, fields, { version: existing.version + 1 }) : { name, ...fields, version: 1, createdAt: now }
            if (!existing) list.push(artifact)
            tx.beforeWrite(async (dir) => {
              const file = contentFile(dir, name)
              await ensureDir(dirname(file))
              await writeStoreFile(file, data, { mode: 0o600 })
            })
            tx.emit({ type: 'artifact.written', actor: owner, ids: { artifact: name }, data: { bytes: artifact.bytes, version: artifact.version } })
            return { path: name, name, bytes: artifact.bytes, version: artifact.version }
          },
          { actor: owner },
        )
      } catch (error) {
        if (!(error instanceof StaleBase)) throw error
      }
    }
  })
}

/** Another writer committed between reading the base of an append and the transaction: read it again. */
class StaleBase extends Error {}

/** Metadata and content that belong together: a writer may replace the content between the two reads, so retry. */
async function readConsistent(ctx: Ctx, project: ProjectRef, name: string): Promise<{ artifact: Artifact; data: Buffer }> {
  for (let attempt = 1; ; attempt++) {
    const { artifacts } = await ctx.store.read(project, 'artifacts')
    const artifact = artifacts.find((item) => item.name === name)
    if (!artifact) throw notFound(name, artifacts)
    const data = await fsp.readFile(contentFile(project.dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
      throw error
    })
    if (data && sha256(data) === artifact.sha256) return { artifact, data }
    if (attempt >= READ_ATTEMPTS) {
      // a crash between the content rename and the metadata write leaves newer content: it is the latest written
      if (data) return { artifact, data }
      throw new LockstepError('CORRUPT_STATE', `The content of artifact ${name} is missing from ${contentFile(project.dir, name)}; write the artifact again.`, {
        name,
        file: contentFile(project.dir, name),
      })
    }
    await new Promise((resolve) => setTimeout(resolve, 10 * attempt))
  }
}

async function readCurrent(ctx: Ctx, project: ProjectRef, name: string) {
  try {
    return await readConsistent(ctx, project, name)
  } catch (error) {
    if (error instanceof LockstepError && error.code === 'NOT_FOUND') return undefined
    throw error
  }
}

/**
 * Names become paths in the store, so `a` and `a/b` cannot both exist, and names that differ only in case would
 * share a file where the file system ignores case. Refused everywhere so that a project behaves the same on any OS.
 */
function assertNoClash(list: Artifact[], name: string): void {
  const folded = name.toLowerCase()
  const clash = list.find((item) => {
    const other = item.name.toLowerCase()
    if (item.name === name) return false
    return other === folded || other.startsWith(`${folded}/`) || folded.startsWith(`${other}/`)
  })
  if (clash) {
    throw new LockstepError('CONFLICT', `The artifact name ${name} clashes with the existing artifact ${clash.name} (same name ignoring case, or one is a folder of the other); choose another name.`, {
      name,
      existing: clash.name,
    })
  }
}

function notFound(name: string, artifacts: Artifact[]): LockstepError {
  const available = artifacts
    .map((item) => item.name)
    .sort()
    .slice(0, AVAILABLE_SHOWN)
  const listed = available.length ? `existing artifacts include ${available.join(', ')}` : 'the project has no artifacts yet'
  return new LockstepError('NOT_FOUND', `No artifact ${name}; ${listed}. Check the name, or write it with artifact_write.`, {
    name,
    available,
    total: artifacts.length,
  })
}

function contentFile(projectDir: string, name: string): string {
  return join(projectDir, 'artifacts', ...name.split('/'))
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}
