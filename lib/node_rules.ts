// fs.promises' argument rules that changed within the Node versions the
// project runs on: the mirror follows the Node it runs on, so a handle
// takes what that Node's FileHandle takes, and refuses the rest as it does.

/** How FileHandle.read treats its `length` and `position`. */
export interface ReadRules {
  /**
   * `length |= 0`: whatever it is becomes an Int32, and a length left out
   * of a positional call is 0 (v20.0–20.11 and v21.0–21.5; nodejs/node#51087
   * made it default to the rest of the buffer).
   */
  coerceLength: boolean
  /**
   * `position` must be null, an integer from -1 or a bigint (v21.0.0,
   * nodejs/node#42835); before, anything but a safe integer meant the
   * handle's position.
   */
  checkPosition: boolean
  /** The position is checked before a zero length resolves (v24.16.0, v26.1.0; nodejs/node#62674). */
  positionFirst: boolean
}

/** The rules of Node `version` (`process.versions.node`). */
export function readRules (version: string): ReadRules {
  const [major, minor] = version.split('.').map(Number)
  const since = (m: number, n: number): boolean => major > m || (major === m && minor >= n)
  return {
    coerceLength: major < 21 ? !since(20, 12) : !since(21, 6),
    checkPosition: since(21, 0),
    positionFirst: major === 24 ? since(24, 16) : since(26, 1)
  }
}

/** The running Node's. */
export const READ_RULES = readRules(process.versions.node)
