// How a value reads inside an error message. Never throws: a hostile value
// (a null-prototype object, a throwing toString or valueOf, a Symbol, a
// Proxy) must not turn the error about it into another error.

/** The value as a message shows what was given: strings quoted, -0 and bigints marked. */
export function describe(v: unknown): string {
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
export function text(v: unknown): string {
  return typeof v === "string" ? v : describe(v);
}
