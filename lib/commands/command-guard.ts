import { LockstepError } from '../errors.js'

/**
 * What allowlist mode refuses beyond the program name. An allowed program must not be turned into another one:
 * neither by the environment the agent passes (variables that choose the program, preload code or point the program
 * at a config file the agent wrote) nor by options of git and npm that run a program of the caller's choice.
 */

// Each entry is taken from the documentation of the program that reads it. Names are compared in upper case, so
// `node_options` is refused too (Windows and npm ignore case).
const REFUSED_ENV: readonly RegExp[] = [
  /^(PATH|PATHEXT|LD_\w*|DYLD_\w*|GCONV_PATH|LOCPATH|NLSPATH)$/, // which program runs, libraries it preloads
  /^(HOME|USERPROFILE|HOMEDRIVE|HOMEPATH|APPDATA|LOCALAPPDATA|XDG_CONFIG_HOME|XDG_CONFIG_DIRS)$/, // where ~/.gitconfig, ~/.npmrc are read
  /^(EDITOR|VISUAL|PAGER|BROWSER|SHELL|COMSPEC|SSH_ASKPASS|SUDO_ASKPASS)$/, // programs that tools start
  /^(BASH_ENV|ENV|SHELLOPTS|BASHOPTS|PS4|PROMPT_COMMAND|ZDOTDIR|IFS|BASH_FUNC_\w*)$/, // sh/bash startup code
  /^NODE_(?!ENV$)\w*$/, // NODE_OPTIONS (--require, --import), NODE_PATH, NODE_REPL_EXTERNAL_MODULE …
  /^(NPM_CONFIG_\w*|YARN_\w*|PNPM_\w*|COREPACK_\w*)$/, // npm config: node-options, script-shell, userconfig …
  /^GIT_(?!(AUTHOR|COMMITTER)_(NAME|EMAIL|DATE)$)\w*$/, // GIT_CONFIG_*, GIT_EXEC_PATH, GIT_SSH_COMMAND, GIT_DIR …
  /^(PYTHON\w*|PIP_\w*|UV_\w*)$/, // PYTHONPATH, PYTHONSTARTUP, PIP_CONFIG_FILE …
  /^(PERL\w*|RUBY\w*|GEM_\w*|BUNDLE_\w*)$/, // PERL5OPT, PERL5LIB, RUBYOPT, RUBYLIB …
  /^(CARGO_\w*|RUSTC\w*|RUSTDOC\w*|RUSTFLAGS|RUSTUP_\w*)$/, // RUSTC_WRAPPER, CARGO_TARGET_*_RUNNER …
  /^(GO(?!OS$|ARCH$)[A-Z0-9]*|CGO_(?!ENABLED$)\w*|CC|CXX|CFLAGS|CXXFLAGS|CPPFLAGS|LDFLAGS)$/, // GOFLAGS=-toolexec …
  /^(JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|CLASSPATH)$/, // -javaagent
  /^(OPENSSL_CONF|OPENSSL_ENGINES|OPENSSL_MODULES)$/, // engines and providers are shared libraries
]

/** Programs that run whatever code they are given: allowing one of them allows anything. */
const RUNS_ANYTHING = new Set([
  'node',
  'nodejs',
  'deno',
  'bun',
  'bunx',
  'npx',
  'python',
  'python2',
  'python3',
  'pypy',
  'pypy3',
  'perl',
  'ruby',
  'php',
  'lua',
  'tclsh',
  'java',
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'fish',
  'csh',
  'tcsh',
  'pwsh',
  'powershell',
  'cmd',
  'osascript',
  'env',
  'xargs',
  'find',
  'awk',
  'gawk',
  'sed',
  'make',
  'sudo',
  'nohup',
  'timeout',
  'nice',
])

/** The allowed programs that run any code given to them. */
export function programsRunningAnything(allow: readonly string[]): string[] {
  return allow.filter((program) => RUNS_ANYTHING.has(program.toLowerCase().replace(/\.(exe|cmd)$/, '')))
}

/** Environment names the agent may not set in allowlist mode. */
export function refusedEnvNames(env: Record<string, string> | undefined): string[] {
  return Object.keys(env ?? {}).filter((name) => REFUSED_ENV.some((pattern) => pattern.test(name.toUpperCase())))
}

/**
 * Refuse options of an allowed program that would run another program. Throws FORBIDDEN.
 * `program` is the basename without extension, `args` the arguments after it.
 */
export function assertNoExecOptions(program: string, args: readonly string[]): void {
  const check = CHECKS[program.toLowerCase()]
  const refused = check?.(args)
  if (refused === undefined) return
  throw new LockstepError(
    'FORBIDDEN',
    `${program} ${refused} is refused in allowlist mode: it runs a program that is not on the allowlist (or writes config that does). ` +
      'Run the listed program without it, or ask the user to run this step.',
    { program, argument: refused },
  )
}

type Check = (args: readonly string[]) => string | undefined

/** `--name` or `--name=value`, also abbreviated (git and npm accept any unambiguous prefix of a long option). */
function longOption(arg: string, names: readonly string[]): boolean {
  const match = /^--([^=]+)/.exec(arg)
  if (!match || match[1]!.length < 2) return false
  const given = match[1]!.toLowerCase()
  return names.some((name) => name.startsWith(given))
}

// git: global options before the subcommand
const GIT_GLOBAL_REFUSED = ['config-env', 'exec-path', 'git-dir', 'work-tree', 'paginate']
// anywhere after it: transports and hooks that name a program
const GIT_REFUSED_OPTIONS = ['upload-pack', 'receive-pack', 'exec', 'extcmd', 'open-files-in-pager', 'config']
const GIT_REFUSED_COMMANDS = new Set([
  'difftool',
  'mergetool',
  'filter-branch',
  'send-email',
  'instaweb',
  'web--browse',
  'credential',
  'daemon',
  'shell',
  'upload-pack',
  'receive-pack',
  'http-backend',
  'remote-ext',
  'remote-fd',
])
// where `-u <program>` means --upload-pack
const GIT_UPLOAD_PACK_SHORT = new Set(['clone', 'fetch', 'pull', 'ls-remote', 'archive'])
const GIT_CONFIG_READS = new Set(['--get', '--get-all', '--get-regexp', '--get-urlmatch', '--list', '-l', 'get', 'list'])

const checkGit: Check = (args) => {
  let i = 0
  for (; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('-')) break
    if (arg === '-c' || (arg.startsWith('-c') && !arg.startsWith('-C'))) return arg
    if (longOption(arg, GIT_GLOBAL_REFUSED) || arg === '-p') return arg
    // options with a separate value
    if (arg === '-C' || arg === '--namespace' || arg === '--super-prefix') i++
  }
  const command = args[i]
  if (command === undefined) return undefined
  if (GIT_REFUSED_COMMANDS.has(command)) return command
  const rest = args.slice(i + 1)
  for (const arg of rest) {
    if (arg === '--') break
    if (longOption(arg, GIT_REFUSED_OPTIONS)) return arg
    if (GIT_UPLOAD_PACK_SHORT.has(command) && /^-[A-Za-z]*u/.test(arg)) return arg
  }
  // rebase -x/--exec, bisect run, submodule foreach and grep -O run a command line
  if (command === 'rebase' && rest.some((arg) => /^-[A-Za-z]*[xi]/.test(arg) || longOption(arg, ['interactive']))) return `${command} ${rest.join(' ')}`
  if (command === 'bisect' && rest[0] === 'run') return 'bisect run'
  if (command === 'submodule' && rest.includes('foreach')) return 'submodule foreach'
  if (command === 'grep' && rest.some((arg) => /^-[A-Za-z]*O/.test(arg))) return 'grep -O'
  // writing config could add `!` aliases, core.* helpers or hooks; reading it is harmless
  if (command === 'config' && !rest.some((arg) => GIT_CONFIG_READS.has(arg))) return 'config'
  if (command === 'init' || command === 'clone') {
    const template = rest.find((arg) => longOption(arg, ['template']))
    if (template) return template
  }
  return undefined
}

// npm and its relatives: subcommands that run a package or an editor, options that name a program or a config file
const NPM_REFUSED_COMMANDS = new Set(['exec', 'x', 'explore', 'edit', 'set', 'init', 'create', 'innit', 'dlx', 'node'])
const NPM_REFUSED_OPTIONS = ['node-options', 'script-shell', 'shell', 'editor', 'browser', 'viewer', 'git', 'userconfig', 'globalconfig', 'call', 'init-module', 'yarn-path']

const checkNpm: Check = (args) => {
  for (const arg of args) {
    if (arg === '--') break
    if (longOption(arg, NPM_REFUSED_OPTIONS)) return arg
  }
  const positional = args.filter((arg) => !arg.startsWith('-'))
  const command = positional[0]?.toLowerCase()
  if (command !== undefined && NPM_REFUSED_COMMANDS.has(command)) return command
  // `npm config set …` writes ~/.npmrc, where node-options and script-shell live
  if ((command === 'config' || command === 'c') && !['get', 'list', 'ls'].includes(positional[1] ?? 'list')) return `${command} ${positional[1]}`
  return undefined
}

const CHECKS: Record<string, Check> = Object.assign(Object.create(null) as Record<string, Check>, {
  git: checkGit,
  npm: checkNpm,
  pnpm: checkNpm,
  yarn: checkNpm,
})

/**
 * Variables the server sets for every child in allowlist mode. git would take a folder the agent wrote (HEAD,
 * config, objects/, refs/) for a bare repository when run inside it, and run the `!` aliases of that config:
 * safe.bareRepository=explicit makes it ignore such folders. Config the server's own environment passes stays.
 */
export function pinnedEnv(base: NodeJS.ProcessEnv): Record<string, string> {
  const count = Number(base.GIT_CONFIG_COUNT ?? 0) || 0
  return { GIT_CONFIG_COUNT: String(count + 1), [`GIT_CONFIG_KEY_${count}`]: 'safe.bareRepository', [`GIT_CONFIG_VALUE_${count}`]: 'explicit' }
}
