// Typed errors of SharedArena, beside the package's own (src/errors.ts).
// Frees the arena can prove wrong are InvalidArgumentErrors about `offset`,
// so code that catches bad input in general catches these too.
import { InvalidArgumentError, IovaError } from "../errors.js";

/**
 * `free(offset, bytes)` of something `alloc(bytes)` did not hand out, as far
 * as the arena can tell: an offset off the unit grid, out of the arena,
 * misaligned for its size class, inside another allocation, or (for large
 * ranges, and for every range in debug mode) not the start of a live
 * allocation of that size. `argument` is `"offset"` and `value` the offset as
 * given; `bytes` is the size passed to free().
 */
export class InvalidFreeError extends InvalidArgumentError {
  override name = "InvalidFreeError";
  /**
   * @param offset the offset passed to free()
   * @param bytes the size passed to free()
   * @param reason why the free was refused, worded to follow "offset"
   */
  constructor(offset: number, readonly bytes: number, reason: string) {
    super("offset", offset, reason);
  }
}

/**
 * A second free of the same allocation. Only debug mode (or, for large
 * ranges, a free racing another free of the same range) can tell a double
 * free from any other invalid free: see SharedArena.free().
 */
export class DoubleFreeError extends InvalidFreeError {
  override name = "DoubleFreeError";
  /**
   * @param offset the offset passed to free()
   * @param bytes the size passed to free()
   */
  constructor(offset: number, bytes: number) {
    super(offset, bytes, `was already freed (double free of ${IovaError.text(bytes)} bytes)`);
  }
}

/** Any call on a SharedArena view after its close(). */
export class ArenaClosedError extends IovaError {
  override name = "ArenaClosedError";
  /** @param operation the method that was called */
  constructor(readonly operation: string) {
    super(`${IovaError.text(operation)}() called on a closed SharedArena view`);
  }
}

/**
 * Debug mode saw the allocator hand out bytes that a live allocation still
 * holds: a bug in the allocator (or memory corrupted from outside), never a
 * user error. `offset`/`bytes` is the new allocation, `unitOffset` the first
 * byte found already live.
 */
export class ArenaOverlapError extends IovaError {
  override name = "ArenaOverlapError";
  /**
   * @param offset byte offset of the allocation just handed out
   * @param bytes its size as requested
   * @param unitOffset byte offset of the first unit that was already live
   */
  constructor(readonly offset: number, readonly bytes: number, readonly unitOffset: number) {
    super(`alloc(${IovaError.text(bytes)}) returned offset ${IovaError.text(offset)}, but the unit at offset ${IovaError.text(unitOffset)} belongs to a live allocation`);
  }
}
