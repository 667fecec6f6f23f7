// Hostile values for the generated suites (hostile-api, hostile-cli): what a
// careless or malicious caller can pass where a number, a flag, an array or
// an options object belongs. Each suite draws from these with fast-check.
import fc from "fast-check";

const throwing = (key: string): object => ({ [key]() { throw new Error(`hostile ${key}`); } });

/** One-off values worth trying at every argument: wrong types, edge numbers, objects that bite when converted. */
export const HOSTILE_CONSTANTS: readonly unknown[] = [
  NaN, Infinity, -Infinity, -0, 0, 0.5, 1.5, -1, -1.5, 2 ** 31, 2 ** 32, 2 ** 32 - 1, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2,
  2 ** 64, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON,
  1n, -1n, 2n ** 64n,
  "1", "4096", "abc", "", " 1 ", "0x10", "1e3", "NaN", "-0", "\u0000",
  true, false, null, undefined,
  [], [1], [[1]], [NaN], {}, Object.create(null), throwing("valueOf"), throwing("toString"),
  { [Symbol.toPrimitive]() { throw new Error("hostile toPrimitive"); } }, { valueOf: () => 1 }, { length: 2 ** 32 }, { length: -1 },
  { length: 1e9 }, { length: NaN }, Symbol("hostile"), () => 1, new Proxy({}, { get: () => NaN }),
  new Date(NaN), new Uint8Array(4), new Float64Array([NaN, 1]), new Number(5), new String("1"), new Boolean(true),
];

/** A hostile scalar: a constant above, or a generated number, bigint or short string. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_CONSTANTS) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 }) },
  { weight: 1, arbitrary: fc.maxSafeInteger() },
  { weight: 1, arbitrary: fc.bigInt() },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

/** A hostile value where an array of numbers belongs: a hostile scalar, a short array of them, or a huge one. */
export const hostileArray: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileScalar },
  { weight: 3, arbitrary: fc.array(hostileScalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(new Array(5000).fill(1), new Array(10), [1, , 2], new Float64Array(4097).fill(1)) },
);

/** A hostile options object: a hostile scalar, or one of `keys` set to a hostile value. */
export function hostileOptions(keys: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 1, arbitrary: hostileScalar },
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...keys), hostileScalar).map(([k, v]) => ({ [k]: v })) },
  );
}

/** The run's seed: fixed, printed, and overridable (HOSTILE_SEED=n) to replay a failure. */
export const HOSTILE_SEED = Number(process.env.HOSTILE_SEED ?? 20261213);
