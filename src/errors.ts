// Typed errors of the public API. Each carries the offending value so a
// caller (or a test) can tell exactly what was refused. Every message is
// built with text()/describe() below, which never throw: a hostile value
// must not turn the error about it into another error.

/** Base class of every error this package throws on purpose. */
export class IovaError extends Error {
  override name = "IovaError";
  constructor(message?: unknown) {
    super(message === undefined ? undefined : text(message));
  }

  /** @internal For the messages of subclasses elsewhere: a value spliced into text, never throwing. */
  protected static text(v: unknown): string {
    return text(v);
  }
}

/** An argument that is not what the API accepts: the value is kept as given. */
export class InvalidArgumentError extends IovaError {
  override name = "InvalidArgumentError";
  constructor(readonly argument: string, readonly value: unknown, reason: string) {
    super(`${text(argument)} ${text(reason)}: got ${describe(value)}`);
  }
}

/** Any call on a domain after destroy(). */
export class DomainDestroyedError extends IovaError {
  override name = "DomainDestroyedError";
  constructor(readonly operation: string) {
    super(`${text(operation)}() called on a destroyed domain`);
  }
}

/**
 * Any call on a view that was closed: an attach()ed view that shared its
 * CPU, after its [Symbol.dispose] or its CPU's dead path (setCpuAlive(cpu,
 * false)) gave its scratch slot back. The domain itself lives on.
 */
export class ViewClosedError extends IovaError {
  override name = "ViewClosedError";
  constructor(readonly operation: string) {
    super(`${text(operation)}() called on a closed view (disposed, or its CPU's dead path ran); attach the domain again`);
  }
}

/** Why an allocation failed, when the caller asked for an exception. */
export type AllocFailure = "no-space" | "fast-fail-32" | "node-slab-full";

export class AllocationError extends IovaError {
  override name = "AllocationError";
  constructor(readonly reason: AllocFailure, readonly size: number, readonly limitPfn: number) {
    super(`cannot allocate ${text(size)} pages at or below pfn ${text(limitPfn)}: ${reasonText(reason)}`);
  }
}

/** reserve() needed a node and the node slab had none left. */
export class NodeSlabFullError extends IovaError {
  override name = "NodeSlabFullError";
  constructor(readonly capacity: number) {
    super(`the node slab is full (${text(capacity)} ranges); create the domain with a larger maxRanges`);
  }
}

/** check() found a broken invariant: a bug, never a user error. */
export class InvariantError extends IovaError {
  override name = "InvariantError";
  constructor(readonly code: number, readonly what: string, readonly node: number) {
    super(`tree invariant broken: ${text(what)} (code ${text(code)}, at node ${text(node)})`);
  }
}

/** A wasm build this package reads from build/ is absent or unreadable (an installed package ships only some). */
export class WasmFileError extends IovaError {
  override name = "WasmFileError";
  constructor(readonly file: string, reason: string) {
    super(`iova-wasm: cannot read ${text(file)}: ${text(reason)}`);
  }
}

/** A lock stayed held by a CPU whose worker is gone. */
export class LockHolderDeadError extends IovaError {
  override name = "LockHolderDeadError";
  constructor(readonly holderCpu: number) {
    super(`a lock is held by CPU ${text(holderCpu)}, whose worker has exited; the domain cannot be used safely`);
  }
}

function reasonText(r: AllocFailure): string {
  switch (r) {
    case "no-space": return "no free range of that size and alignment below the limit";
    case "fast-fail-32": return "a 32-bit request of this size already failed since the last free below 4 GiB (max32_alloc_size)";
    case "node-slab-full": return "the node slab is full; create the domain with a larger maxRanges";
    default: return text(r);
  }
}

/** The value as a message shows what was given: strings quoted, -0 and bigints marked. */
function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number" && Object.is(v, -0)) return "-0";
  if (typeof v === "symbol") return v.description === undefined ? "Symbol()" : `Symbol(${v.description})`;
  if (typeof v !== "object" && typeof v !== "function") return String(v);
  if (v === null) return "null";
  try {
    return String(v);
  } catch {
    try {
      return Object.prototype.toString.call(v);
    } catch {
      return "(an object that cannot be shown)";
    }
  }
}

/** A value spliced into message text: a string as it is, anything else as describe() shows it. */
function text(v: unknown): string {
  return typeof v === "string" ? v : describe(v);
}
