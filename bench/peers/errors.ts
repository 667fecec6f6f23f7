// One typed error for misuse of our peers, so tests can match on `code` and
// `value` instead of message text.

export type RangeAllocatorErrorCode =
  | 'bad-size' // size is not a positive integer
  | 'unknown-offset' // free of an offset that starts no live range (inside one, or outside the arena)
  | 'double-free' // free of an offset lying in free space (freed already, or never handed out)
  | 'size-mismatch' // free with a size different from the one allocated
  | 'bad-arena'; // constructor arguments describe no usable space

export class RangeAllocatorError extends Error {
  override readonly name = 'RangeAllocatorError';
  constructor(
    readonly code: RangeAllocatorErrorCode,
    readonly value: number,
    detail = '',
  ) {
    super(`${code}: ${value}${detail ? ` (${detail})` : ''}`);
  }
}
