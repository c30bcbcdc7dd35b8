import { constants, existsSync, promises as fsp } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { LockstepError } from '../errors.js'

/**
 * Opening by name after checking the real path leaves a window: another process can swap a folder on the way for a
 * symlink to elsewhere. On Linux the kernel names what a descriptor really opened (/proc/self/fd/<n>), and a path
 * through a directory's descriptor (/proc/self/fd/<n>/name) stays in that directory whatever happens to its name
 * afterwards, as openat(2) does. Elsewhere only the last component is guarded, with O_NOFOLLOW.
 */
const CAN_VERIFY_OPENED = process.platform === 'linux' && existsSync('/proc/self/fd')

const NOFOLLOW = constants.O_NOFOLLOW ?? 0
const DIRECTORY = constants.O_DIRECTORY ?? 0

/** Open `path` (a real path: no symlink in it) and make sure the descriptor is that file. Throws FORBIDDEN. */
export async function openVerified(path: string, flags: number, mode?: number): Promise<FileHandle> {
  const handle = await fsp.open(path, flags | NOFOLLOW, mode)
  try {
    await assertOpened(handle, path)
  } catch (error) {
    await handle.close()
    throw error
  }
  return handle
}

/** A folder held open by descriptor, to create, open and rename entries inside it and nowhere else. */
export interface PinnedDir {
  path: string
  /** The path of an entry of this very folder. */
  entry(name: string): string
  close(): Promise<void>
}

/**
 * Hold the folder `path` (a real path), creating the missing part with `create`, one component at a time inside
 * the folder verified before it. Returns undefined when it is missing and not created. Throws FORBIDDEN,
 * INVALID_INPUT (a component is a file).
 */
export async function pinDir(path: string, create: boolean): Promise<PinnedDir | undefined> {
  if (!CAN_VERIFY_OPENED) {
    if (create) await fsp.mkdir(path, { recursive: true })
    else if (!(await fsp.stat(path).catch(() => undefined))?.isDirectory()) return undefined
    return { path, entry: (name) => join(path, name), close: async () => undefined }
  }
  let handle: FileHandle | undefined
  try {
    handle = await openDir(path, path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' || !create || dirname(path) === path) throw error
    const parent = await pinDir(dirname(path), true)
    try {
      await fsp.mkdir(parent!.entry(basename(path))).catch((mkdirError: NodeJS.ErrnoException) => {
        if (mkdirError.code !== 'EEXIST') throw mkdirError
      })
      handle = await openDir(parent!.entry(basename(path)), path)
    } finally {
      await parent!.close()
    }
  }
  await assertOpened(handle, path).catch(async (error) => {
    await handle!.close()
    throw error
  })
  const fd = handle.fd
  return { path, entry: (name) => `/proc/self/fd/${fd}/${name}`, close: () => handle!.close() }
}

/** Open a folder without following a symlink in its last component. Throws FORBIDDEN when one was swapped in. */
async function openDir(at: string, path: string): Promise<FileHandle> {
  try {
    return await fsp.open(at, constants.O_RDONLY | DIRECTORY | NOFOLLOW)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOTDIR' && code !== 'ELOOP') throw error
    // not a folder at open time: a file on the way is the caller's mistake; a symlink, or a folder or nothing by
    // now, means the checked path was swapped since
    const now = await fsp.lstat(at).then(
      (stat) => (stat.isFile() ? 'file' : 'swapped'),
      (lstatError: NodeJS.ErrnoException) => (lstatError.code === 'ENOENT' ? 'swapped' : 'file'),
    )
    if (now === 'swapped') throw changed(path, 'a symlink')
    throw error
  }
}

async function assertOpened(handle: FileHandle, path: string): Promise<void> {
  if (!CAN_VERIFY_OPENED) return
  const opened = await fsp.readlink(`/proc/self/fd/${handle.fd}`)
  if (opened !== path) throw changed(path, opened)
}

function changed(path: string, opened: string): LockstepError {
  return new LockstepError('FORBIDDEN', `${path} changed while it was being opened (it led to ${opened}); a folder on the way was replaced. Try again.`, {
    path,
    opened,
  })
}
