// DEBUG: true in the debug build, false in the release build, so that
// `if (DEBUG) assert(...)` states a precondition where it is relied on and
// costs nothing in release (the style of the runtime's rt/tlsf.ts). It
// follows each asconfig.json target's noAssert: release sets it, debug not.

// @ts-ignore: decorator
@inline export const DEBUG: bool = !ASC_NO_ASSERT;
