const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/

/** One POSIX shell word: left bare when it cannot be misread, else single-quoted (`'` written as `'\''`). */
export function shellQuote(word: string): string {
  if (SHELL_SAFE.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** A command line from words, each quoted for a POSIX shell. */
export function shellJoin(words: string[]): string {
  return words.map(shellQuote).join(' ')
}

/** `env NAME=value … ` in front of a command, so the variables reach it in any shell and any launcher. */
export function withEnv(env: Record<string, string>, command: string): string {
  const pairs = Object.entries(env).map(([name, value]) => `${name}=${shellQuote(value)}`)
  return pairs.length ? `env ${pairs.join(' ')} ${command}` : command
}

/** An AppleScript string literal: backslashes and double quotes escaped, control characters as escapes. */
export function appleScriptString(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')
  return `"${escaped}"`
}
