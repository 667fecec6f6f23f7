// A hang guard for tests: a promise that must settle within a bound, or the
// test fails naming what hung, instead of waiting for vitest's own timeout.

/** p, or a rejection naming `what` if p has not settled after ms. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const bound = new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`${what} did not finish in ${ms} ms (a hang)`)), ms); });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}
