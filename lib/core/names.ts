/** The one comparison of agent, owner and holder names: case-insensitive, and undefined matches nothing. */
export function sameName(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase()
}
