/** Run a test child's `main`: exit 0 once it resolves; on a throw, print the error's code and stack and exit 1. */
export function runChild(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`${error?.code ?? ''} ${error?.stack ?? error}\n`)
      process.exit(1)
    },
  )
}
