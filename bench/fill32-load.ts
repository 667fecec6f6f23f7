// The fill32 load: built to fill the 32-bit window within a few hundred ms.
// test/sim-mechanisms.test.ts checks the eras and the window on it, and
// bench/lock-floor.ts measures the lock booking's floor on it; one
// definition, so that the bench measures the load the tests describe.
import type { SimOptions } from '../src/sim/engine.js';

/** A device fast enough that the CPUs and locks set the rate. */
export const FAST_DEVICE = { deviceBaseNs: 5000, deviceBytesPerSec: 1e11, deviceSerialTransfers: 0 };

/**
 * A 64 KiB granule (65,536 pfns below 4 GiB), a host bridge window over the
 * top three quarters of it, and 3% of I/Os at 4 MiB (64 pages, above the
 * cached orders).
 */
export const FILL32: SimOptions = {
  policy: 'linux-5.10', cpus: 8, jobs: 8, iodepth: 16, granule: 65536, bs: '64k/90:256k/7:4m/3',
  durationMs: 300, intervalMs: 100, pciWindows: [{ start: 0x4000_0000, end: 0xffff_ffff }], completion: 'other',
  costs: FAST_DEVICE,
};
