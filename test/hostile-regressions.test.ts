// The examples of issue 13 ("reliability under hostile input and faults"),
// one named test each: every one was a silent wrong answer, a crash, a
// hang or lost pfns before it was fixed at its root. The generated suites
// (hostile-api, hostile-cli, faults-*) prove each class is gone; these keep
// the exact cases that were found.
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, InvariantError, IovaDomain, LockHolderDeadError, SharedArena } from "../dist/src/index.js";
import { layoutOf } from "../dist/src/wasm/exports.js";

function refused(fn: () => unknown, argument: string): InvalidArgumentError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).argument).toBe(argument);
  return caught as InvalidArgumentError;
}

describe("size arithmetic that wrapped", () => {
  it("maxMagazines 2^22 (127-pfn magazines: 4.3 GB) is refused up front, naming maxMagazines", () => {
    const e = refused(() => new IovaDomain(4096, 1, { maxMagazines: 2 ** 22 }), "maxMagazines");
    expect(e.value).toBe(2 ** 22);
    expect(e.message).toContain("4 GiB");
  });

  it("50M ranges with 2^21 magazines is refused naming maxRanges, the larger region (was: out of bounds)", () => {
    refused(() => new IovaDomain(4096, 1, { maxRanges: 50_000_000, maxMagazines: 2 ** 21 }), "maxRanges");
  });

  it("the option named is one the caller gave: depotMax 2^31 of linux-5.10 sizes the magazine slab by default", () => {
    // The default maxMagazines follows depotMax (6 x 2^20 magazines here): the error names depotMax, not maxMagazines.
    const e = refused(() => new IovaDomain(4096, 1, { policy: "linux-5.10", depotMax: 2 ** 31 }), "depotMax");
    expect(e.value).toBe(2 ** 31);
  });

  it("check() verifies the layout: a header whose slab offset was overwritten fails with code 17", () => {
    const d = new IovaDomain(4096, 1, { maxRanges: 64, cpus: 2 });
    d.check();
    const at = d.base + layoutOf(d.ex).offSlab;
    const u32 = new Uint32Array(d.memory.buffer);
    const good = u32[at >>> 2];
    u32[at >>> 2] = 1024;  // as a wrapped layout would: the slab over the CPU caches
    let caught: unknown;
    try {
      d.check();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvariantError);
    expect((caught as InvariantError).code).toBe(17);
    u32[at >>> 2] = good;
    d.check();
  });
});

describe("hangs", () => {
  it("SharedArena.reclaimWorker(i) after worker i died holding its cache lock: LockHolderDeadError in bounded time", () => {
    const main = SharedArena.create({ bytes: 1 << 20, workers: 2 });
    const w0 = SharedArena.attach(main.handle, 0);
    expect(w0.alloc(64)).not.toBeNull();
    // Worker 0 "dies" inside a cache call: its order-0 cache lock stays held by CPU 0 (holder id 1).
    const d = main.domain;
    const L = layoutOf(d.ex);
    const u32 = new Uint32Array(d.memory.buffer);
    const offCaches = u32[(d.base + L.offCpuCaches) >>> 2];
    const lockWord = (d.base + offCaches + (0 * L.orders + 0) * L.cacheLine) >>> 2;
    Atomics.store(u32, lockWord, 1);
    const t0 = Date.now();
    let caught: unknown;
    try {
      main.reclaimWorker(0);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LockHolderDeadError);
    expect((caught as LockHolderDeadError).holderCpu).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 20_000);
});
