import { execFile } from 'node:child_process'

export type Published = 'yes' | 'no' | 'unknown'

/**
 * Whether `lockstep-mcp@<version>` is on the npm registry that npm is configured for, asked through `npm view`.
 * `unknown` when npm is missing, offline or slow: an install never fails for want of an answer.
 */
export function isPublished(version: string, env: NodeJS.ProcessEnv, timeoutMs = 8000): Promise<Published> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  return new Promise((resolve) => {
    execFile(npm, ['view', `lockstep-mcp@${version}`, 'version', '--json', '--fetch-retries=0'], { env, timeout: timeoutMs, shell: process.platform === 'win32' }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout.trim() === '' ? 'no' : 'yes')
      resolve(/E404|404 Not Found|is not in this registry/.test(`${stdout}${stderr}`) ? 'no' : 'unknown')
    })
  })
}
