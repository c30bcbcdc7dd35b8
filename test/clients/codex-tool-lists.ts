// The real Codex CLI (`codex exec`) against the Responses API stand-in, with a lockstep server started as
// `--tools auto`: the scripted model calls coordination_init as an implementer, then status_get, then ends. The
// tools Codex offers on each turn show whether it follows notifications/tools/list_changed.
import { runHeadless } from './run-headless.js'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startResponsesStandIn } from './responses-stand-in.js'

export interface CodexToolListRun {
  /** Our tools offered to the model on each turn that offered any. */
  turns: string[][]
  handshakes: string[]
  exit: number | null
  output: string
}

export async function runCodexToolLists(codex: string, cli: string, project: string, env: Record<string, string>): Promise<CodexToolListRun> {
  const standIn = await startResponsesStandIn([{ tool: 'coordination_init', input: { role: 'implementer' } }, { tool: 'status_get', input: {} }, { text: 'Done.' }])
  const codexHome = join(env.HOME!, '.codex-lists')
  mkdirSync(codexHome, { recursive: true })
  writeFileSync(
    join(codexHome, 'config.toml'),
    [
      'model = "gpt-5"',
      'model_provider = "stand-in"',
      'approval_policy = "never"',
      'sandbox_mode = "danger-full-access"',
      '[model_providers.stand-in]',
      'name = "stand-in"',
      `base_url = ${JSON.stringify(standIn.url)}`,
      'wire_api = "responses"',
      'env_key = "STAND_IN_KEY"',
      '[mcp_servers.lockstep-mcp]',
      `command = ${JSON.stringify(process.execPath)}`,
      `args = ${JSON.stringify([cli, 'server', '--tools', 'auto'])}`,
      `[projects.${JSON.stringify(project)}]`,
      'trust_level = "trusted"',
      '',
    ].join('\n'),
  )
  try {
    const run = await runHeadless(codex, ['exec', '--skip-git-repo-check', 'Register with lockstep.'], { cwd: project, env: { ...env, CODEX_HOME: codexHome, STAND_IN_KEY: 'sk-stand-in' } })
    // Codex groups each MCP server's tools in a namespace named after the server
    const turns = standIn.turns
      .map((body) =>
        ((body.tools as { type?: string; name?: string; tools?: { name: string }[] }[]).find((tool) => tool.type === 'namespace' && tool.name?.includes('lockstep'))?.tools ?? []).map(
          (tool) => tool.name,
        ),
      )
      .filter((names) => names.length)
    const log = join(env.LOCKSTEP_HOME!, 'logs', 'server.log')
    const handshakes = existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter((line) => line.includes('codex') && line.includes('speaks MCP'))
      : []
    return { turns, handshakes, ...run }
  } finally {
    await standIn.close()
  }
}
