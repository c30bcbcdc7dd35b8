import { constants, promises as fsp, type Stats } from 'node:fs'
import { basename, dirname } from 'node:path'
import { tempNameFor, writeFileAtomic as writeFileInPlace } from '../../storage/atomic.js'
import { LockstepError } from '../errors.js'
import { ANSWER_CONTENT_BUDGET, fittingBytes } from '../core/limits.js'
import { openVerified, pinDir, type PinnedDir } from './_pinned-fs.js'

export type FileEncoding = 'utf8' | 'utf16le' | 'latin1' | 'ascii' | 'base64' | 'hex'
export type WriteMode = 'overwrite' | 'append'

export interface ReadFileRequest {
  absPath: string
  encoding: FileEncoding
  maxBytes: number
  binary: boolean
  /** The first byte to read (default 0). */
  offset?: number
}

export interface FileContent {
  /** The file's size, which may exceed the bytes returned. */
  bytes: number
  /** Whether bytes remain after the ones returned. */
  truncated: boolean
  /** Where the next page starts, when truncated. */
  nextOffset?: number
  encoding: FileEncoding
  content: string
}

export interface WriteFileRequest {
  absPath: string
  content: string
  encoding: FileEncoding
  mode: WriteMode
  createDirs: boolean
}

export interface WriteResult {
  /** Bytes written. */
  bytes: number
  created: boolean
}

/**
 * Read at most maxBytes of a regular file from `offset`; binary returns base64. The content is cut further when its
 * JSON form would not fit in one answer; `nextOffset` says where to carry on. Throws NOT_FOUND, INVALID_INPUT.
 */
export async function readFileSafe(request: ReadFileRequest): Promise<FileContent> {
  const { absPath, maxBytes, binary, offset = 0 } = request
  const encoding: FileEncoding = binary ? 'base64' : request.encoding
  // O_NONBLOCK: opening a FIFO for reading would otherwise block until a writer appears
  const handle = await openVerified(absPath, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: unknown) => {
    throw mapFsError(error, absPath)
  })
  try {
    const stat = await handle.stat()
    assertRegularFile(absPath, stat)
    const size = stat.size
    const buffer = Buffer.alloc(Math.max(0, Math.min(size - offset, maxBytes)))
    let filled = 0
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, offset + filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    return pageOf(buffer.subarray(0, filled), offset, size, encoding)
  } finally {
    await handle.close()
  }
}

/** The content of one page of `data` (which starts at `offset` of `size` bytes), cut to fit one answer. */
export function pageOf(data: Buffer, offset: number, size: number, encoding: FileEncoding): FileContent {
  const shown = fittingBytes(data, encoding, ANSWER_CONTENT_BUDGET)
  const end = Math.min(offset, size) + shown
  const content = data.subarray(0, shown).toString(encoding)
  return end < size ? { bytes: size, truncated: true, nextOffset: end, encoding, content } : { bytes: size, truncated: false, encoding, content }
}

/**
 * Write a file: overwrite atomically (temp file, fsync, rename, keeping the file's mode) or append in one write.
 * Throws NOT_FOUND (parent folder missing without createDirs), INVALID_INPUT (a directory).
 */
export async function writeFileAtomic(request: WriteFileRequest): Promise<WriteResult> {
  const { absPath, content, encoding, mode, createDirs } = request
  const data = Buffer.from(content, encoding)
  // every step below happens inside this one folder, held by descriptor where the platform allows
  const dir = await pinParent(absPath, createDirs)
  try {
    const name = basename(absPath)
    const existing = await lstatOrUndefined(dir.entry(name), absPath)
    if (existing?.isDirectory()) throw directoryError(absPath)
    // the caller passes a real path: a symlink here appeared after the check
    if (existing?.isSymbolicLink()) throw changedError(absPath)
    if (mode === 'append') {
      await appendOnce(dir.entry(name), absPath, data)
      return { bytes: data.length, created: !existing }
    }
    await replaceFile(dir, name, absPath, data)
    return { bytes: data.length, created: !existing }
  } finally {
    await dir.close()
  }
}

async function replaceFile(dir: PinnedDir, name: string, target: string, data: Buffer): Promise<void> {
  const tempName = `.${tempNameFor(name)}`
  await writeFileInPlace(dir.entry(name), data, { mode: 0o666, umask: true, tempName }).catch((error: unknown) => {
    throw mapFsError(error, target)
  })
}

async function appendOnce(entry: string, absPath: string, data: Buffer): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0)
  const handle = await fsp.open(entry, flags, 0o666).catch((error: unknown) => {
    throw mapFsError(error, absPath)
  })
  try {
    let written = 0
    // one write(2) for regular files; the loop only covers a short write
    do {
      const { bytesWritten } = await handle.write(data, written, data.length - written)
      written += bytesWritten
    } while (written < data.length)
  } finally {
    await handle.close()
  }
}

/** The folder of absPath, held; missing: NOT_FOUND without createDirs. */
async function pinParent(absPath: string, createDirs: boolean): Promise<PinnedDir> {
  const parent = dirname(absPath)
  const pinned = await pinDir(parent, createDirs).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOTDIR' || code === 'EEXIST') {
      throw new LockstepError('INVALID_INPUT', `A part of ${parent} is a file, not a folder; choose another path for ${absPath}.`, { path: absPath })
    }
    if (code === 'ENOENT' && !createDirs) throw missingParent(absPath, parent)
    throw mapFsError(error, parent)
  })
  if (!pinned) throw missingParent(absPath, parent)
  return pinned
}

function missingParent(absPath: string, parent: string): LockstepError {
  return new LockstepError('NOT_FOUND', `The folder ${parent} does not exist; pass createDirs: true to create it, or check the path.`, { path: absPath, parent })
}

async function lstatOrUndefined(entry: string, absPath: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(entry)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw mapFsError(error, absPath)
  }
}

function changedError(path: string): LockstepError {
  return new LockstepError('FORBIDDEN', `${path} changed while it was being written (it is now a symlink); a folder or file on the way was replaced. Try again.`, { path })
}

function assertRegularFile(absPath: string, stat: Stats): void {
  if (stat.isDirectory()) throw directoryError(absPath)
  if (!stat.isFile()) {
    throw new LockstepError('INVALID_INPUT', `${absPath} is not a regular file but a device, socket or pipe.`, {
      path: absPath,
    })
  }
}

/** Turn the expected fs errors into LockstepErrors; anything else is a bug and passes through unchanged. */
function mapFsError(error: unknown, path: string): unknown {
  if (error instanceof LockstepError) return error
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new LockstepError('NOT_FOUND', `${path} does not exist; check the path (relative paths start at the work root).`, { path })
    case 'EISDIR':
      return directoryError(path)
    case 'ELOOP':
      // O_NOFOLLOW met a symlink where the checked real path had none
      return changedError(path)
    case 'EACCES':
    case 'EPERM':
      return new LockstepError('FORBIDDEN', `${path}: permission denied by the file system.`, { path })
    default:
      return error
  }
}

function directoryError(path: string): LockstepError {
  return new LockstepError('INVALID_INPUT', `${path} is a directory; give the path of a file inside it.`, { path })
}
