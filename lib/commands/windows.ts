import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import { win32 } from 'node:path'

export interface WindowsLaunch {
  file: string
  args: string[]
  verbatim: boolean
}

type Env = Record<string, string>

// cmd.exe treats these specially even inside an argument; `^` escapes them (the approach of cross-spawn)
const CMD_META = /([()\][%!^"`<>&|;, *?])/g
const NPM_SHIM = /node_modules[\\/]\.bin[\\/][^\\/]+\.cmd$/i

/** Case-insensitive lookup: Windows environment names ignore case (`Path`, `PATH`). */
function getEnv(env: Env, name: string): string | undefined {
  const key = Object.keys(env).find((k) => k.toUpperCase() === name.toUpperCase())
  return key === undefined ? undefined : env[key]
}

/**
 * Find the file Windows would run for `program`, trying each PATHEXT extension. A bare name is looked up on PATH
 * only, never in the working folder, so a file planted in the project cannot shadow a real program.
 */
export function resolveWindowsProgram(program: string, options: { cwd: string; path: string; pathext: string }, isFile: (candidate: string) => boolean = defaultIsFile): string | undefined {
  const extensions = options.pathext
    .split(';')
    .filter(Boolean)
    .map((ext) => ext.toLowerCase())
  const hasKnownExt = extensions.includes(win32.extname(program).toLowerCase())
  const withExt = extensions.map((ext) => program + ext)
  const names = hasKnownExt ? [program, ...withExt] : withExt
  const hasDir = /[\\/]/.test(program) || win32.isAbsolute(program)
  const dirs = hasDir ? [options.cwd] : options.path.split(';').filter(Boolean).map(unquote)
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = win32.resolve(dir, name)
      if (isFile(candidate)) return candidate
    }
  }
  return undefined
}

/** How to start argv on Windows: .cmd and .bat files go through cmd.exe with every argument escaped. */
export function windowsLaunch(argv: readonly string[], cwd: string, env: Env): WindowsLaunch {
  const [program = '', ...args] = argv
  const resolved = resolveWindowsProgram(program, {
    cwd,
    path: getEnv(env, 'PATH') ?? '',
    pathext: getEnv(env, 'PATHEXT') ?? '.COM;.EXE;.BAT;.CMD',
  })
  if (resolved === undefined) return { file: program, args, verbatim: false }
  if (!/\.(cmd|bat)$/i.test(resolved)) return { file: resolved, args, verbatim: false }
  const doubleEscape = NPM_SHIM.test(resolved)
  const line = [escapeCommand(resolved), ...args.map((arg) => escapeArgument(arg, doubleEscape))].join(' ')
  return { file: comspec(env), args: ['/d', '/s', '/c', `"${line}"`], verbatim: true }
}

export function windowsShellLaunch(command: string, env: Env): WindowsLaunch {
  return { file: comspec(env), args: ['/d', '/s', '/c', `"${command}"`], verbatim: true }
}

function comspec(env: Env): string {
  return getEnv(env, 'ComSpec') ?? 'cmd.exe'
}

/** Windows has no process groups to signal: taskkill ends the whole tree. */
export function taskkillTree(pid: number): void {
  const killer = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true })
  killer.on('error', () => {})
}

function escapeCommand(path: string): string {
  return path.replace(CMD_META, '^$1')
}

function escapeArgument(arg: string, doubleEscape: boolean): string {
  // MSVCRT quoting first: double the backslashes that precede a quote or the end, escape the quote
  let quoted = arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1')
  quoted = `"${quoted}"`.replace(CMD_META, '^$1')
  // npm's .cmd shims pass arguments through cmd.exe a second time
  return doubleEscape ? quoted.replace(CMD_META, '^$1') : quoted
}

function unquote(dir: string): string {
  return dir.startsWith('"') && dir.endsWith('"') ? dir.slice(1, -1) : dir
}

function defaultIsFile(candidate: string): boolean {
  return statSync(candidate, { throwIfNoEntry: false })?.isFile() ?? false
}
