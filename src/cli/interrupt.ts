// SIGINT for long runs (`iova aging`, `iova fio`): the first Ctrl-C asks the
// run to stop (it drains, writes what ran and says so; the command then
// exits 130, 128 + SIGINT, as shells expect); a second one quits at once.
//
// The stop request is a shared Int32Array so that worker threads (the
// study's simulations, fio's CPUs) see it without a message round trip.

/** The exit code of a command stopped by SIGINT (128 + signal 2). */
export const EXIT_INTERRUPTED = 130;

export interface Interrupt {
  /** Element 0 becomes 1 on the first SIGINT; hand it to the run. */
  readonly flag: Int32Array;
  /** True once SIGINT arrived. */
  readonly requested: boolean;
  /** Removes the handler (call when the run is over). */
  dispose(): void;
}

/**
 * Installs the SIGINT handler. `say` gets the one line printed on the first
 * SIGINT (default: to stderr).
 */
export function onInterrupt(what: string, say: (line: string) => void = (l) => process.stderr.write(l)): Interrupt {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const handler = (): void => {
    if (Atomics.load(flag, 0) !== 0) {
      say(`\n${what}: interrupted again: quitting without a report\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    Atomics.store(flag, 0, 1);
    say(`\n${what}: interrupted: stopping, then writing the report of what ran (Ctrl-C again to quit at once)\n`);
  };
  process.on("SIGINT", handler);
  return {
    flag,
    get requested() {
      return Atomics.load(flag, 0) !== 0;
    },
    dispose: () => {
      process.off("SIGINT", handler);
    },
  };
}
