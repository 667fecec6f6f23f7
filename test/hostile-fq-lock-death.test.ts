// A worker terminated (pool.kill with now) in the IOTLB invalidation of a
// full-ring flush, so with its CPU's flush-queue ring lock held, while a
// survivor is parked on that lock: the survivor must get LockHolderDeadError
// naming the dead CPU within about 200 ms (the lock's liveness check,
// assembly/lock.ts PARKS_BEFORE_CHECK), the domain poisoned, and the host's
// next call that needs the ring (the end-of-run drain) must fail the same
// way at once. Four pools: the victim owns its CPU or shares it
// (cpuOf [0, 0, 1]), with and without the CPU-dead path (fio's runner runs
// without it). Before: without the dead path and with its own CPU, the
// survivor waited 988-1038 ms (500 parks) for the liveness check.
import { describe, expect, it } from "vitest";
import { IovaDomain, LockHolderDeadError } from "../dist/src/index.js";
import { DmaPath } from "../dist/src/domain/dma.js";
import { CpuPool } from "../dist/src/workers/pool.js";
import { within } from "./helpers/within.js";

const MOD = new URL("./fixtures/fq-flush-wait.mjs", import.meta.url).pathname;
const RING = 16;
/** From the kill to the survivor's error: ~200 ms of parks plus scheduling on a loaded 2-core machine. */
const REPORT_MS = 700;
const BOUND_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + BOUND_MS;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${BOUND_MS} ms`);
    await sleep(2);
  }
}

describe("a worker killed in the IOTLB wait with its flush-queue ring lock held", () => {
  for (const cpuOf of [[0, 1], [0, 0, 1]]) {
    for (const cpuDeadPath of [true, false]) {
      it(`cpuOf [${cpuOf}], cpuDeadPath ${cpuDeadPath}: the parked survivor gets LockHolderDeadError(0) within ${REPORT_MS} ms`, async () => {
        const d = new IovaDomain(4096, 1, {
          cpus: 2, policy: "linux-5.10", maxRanges: 10_000, hostBytes: 64, sharedViews: 4,
          flushQueue: { size: RING, timeoutMs: 10, hz: 250 },
        });
        const pool = await CpuPool.start(d, { cpuOf, cpuDeadPath });
        try {
          const flag = new Int32Array(d.memory.buffer, d.hostBase, 4);
          const untilMs = Date.now() + BOUND_MS;
          const victim = pool.send(0, { kind: "run", module: MOD, fn: "fullRingFlush",
            args: { flagAddr: d.hostBase, ringEntries: RING - 1, block: true, untilMs } });
          victim.catch(() => {});
          await until("the victim's flush wait", () => Atomics.load(flag, 0) === 1);
          // CPU 0's ring lock (FqRing header, one cache line per CPU after the 128-byte queue header) and its waiters word.
          const ringLock = (d.fqBase + 128) >>> 2;
          const u32 = new Uint32Array(d.memory.buffer);
          expect(u32[ringLock], "the victim holds CPU 0's ring lock").toBe(pool.holderIdOf(0));
          // The other worker of CPU 0 (or CPU 1's) queues on CPU 0's ring: it parks on that lock.
          const w = 1;  // CPU 0 in [0, 0, 1], CPU 1 in [0, 1]
          const survivor = pool.send(w, { kind: "run", module: MOD, fn: "fullRingFlush",
            args: { flagAddr: d.hostBase + 8, ringEntries: 3, block: false, onCpu: 0, untilMs } }).then(() => null, (e: unknown) => e);
          await until("the survivor parked on the ring lock", () => (Atomics.load(u32, ringLock + 1) & 0xffff) >= 1);
          const t0 = Date.now();
          await within(pool.kill(0, { now: true }), BOUND_MS, "the kill");
          const err = await within(survivor, BOUND_MS, "the survivor");
          const ms = Date.now() - t0;
          console.log(`cpuOf [${cpuOf}] cpuDeadPath ${cpuDeadPath}: survivor failed ${ms} ms after the kill`);
          expect(err).toBeInstanceOf(LockHolderDeadError);
          expect((err as LockHolderDeadError).holderCpu).toBe(0);
          expect(ms).toBeLessThan(REPORT_MS);
          expect(d.poisonedBy).toBe(0);
          // The host's drain needs CPU 0's ring: refused at once, not a second wait.
          const t1 = Date.now();
          expect(() => new DmaPath(d).drain(1)).toThrow(LockHolderDeadError);
          expect(Date.now() - t1).toBeLessThan(REPORT_MS);
        } finally {
          await pool.terminateAll();
          d.destroy();
        }
      }, 60_000);
    }
  }
});
