// The wasm/host interface is declared once: the core's enums and constants
// (assembly/api/codes.ts) and the host's names for them (src/wasm/codes.ts),
// the core's functions and the host's IovaExports (src/wasm/exports.ts).
// Each test fails when one side gains, loses or renames something the other
// does not, in both builds (release and debug).
import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { CODE_CONSTANTS, CODE_SETS, codes, codesOf } from "../dist/src/wasm/codes.js";
import { SCRATCH_BYTES } from "../dist/src/domain/iova-domain.js";

const BUILDS = ["iova.wasm", "iova.debug.wasm"];
const moduleOf = (file: string) => new WebAssembly.Module(readFileSync(new URL(`../build/${file}`, import.meta.url)));

/** Members of IovaExports as the host declares them: name -> parameter count (null for a property). */
function declaredExports(): Map<string, number | null> {
  const path = new URL("../src/wasm/exports.ts", import.meta.url);
  const src = ts.createSourceFile("exports.ts", readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const out = new Map<string, number | null>();
  src.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== "IovaExports") return;
    for (const m of node.members) {
      const name = (m.name as ts.Identifier).text;
      out.set(name, ts.isMethodSignature(m) ? m.parameters.length : null);
    }
  });
  return out;
}

describe.each(BUILDS)("%s", (file) => {
  const module = moduleOf(file);
  const exported = WebAssembly.Module.exports(module);
  const isCode = (name: string) =>
    (CODE_CONSTANTS as readonly string[]).includes(name) || Object.keys(CODE_SETS).some((s) => name.startsWith(`${s}.`));

  it("every code set the host names is exported with exactly those members", () => {
    const c = codes(module);
    for (const [set, names] of Object.entries(CODE_SETS)) {
      expect(Object.keys(c[set as keyof typeof CODE_SETS]), set).toEqual([...names]);
    }
    expect(c.ORDERS).toBe(6);
  });

  it("no exported global is left without a host name", () => {
    const declared = declaredExports();
    const orphans = exported.filter((e) => e.kind === "global" && !isCode(e.name) && declared.get(e.name) !== null);
    expect(orphans.map((e) => e.name)).toEqual([]);
  });

  it("every exported function is declared in IovaExports with its parameter count, and nothing else is", () => {
    const declared = declaredExports();
    const inst = new WebAssembly.Instance(module, {
      env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }), abort() {}, flushIotlb() {} },
    });
    const fns = exported.filter((e) => e.kind === "function").map((e) => e.name);
    const arity = Object.fromEntries(fns.map((n) => [n, (inst.exports[n] as (...a: unknown[]) => unknown).length]));
    const want = Object.fromEntries([...declared].filter(([, n]) => n !== null));
    expect(arity).toEqual(want);
    const props = [...declared].filter(([, n]) => n === null).map(([k]) => k);
    for (const p of props) expect(exported.find((e) => e.name === p)?.kind, p).toBe("global");
  });

  it("the stats dump of the most CPUs a domain takes fits one scratch slot", () => {
    const inst = new WebAssembly.Instance(module, {
      env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }), abort() {}, flushIotlb() {} },
    });
    const statsBytes = inst.exports.statsBytes as (cpus: number) => number;
    expect(statsBytes(1024)).toBeLessThanOrEqual(SCRATCH_BYTES);
    expect(statsBytes(2)).toBeLessThan(statsBytes(3));
  });

  it("the flush-queue dump is its two blocks as the module's FqGlobal and FqStat count them, and 1024 CPUs fit one scratch slot", () => {
    const c = codes(module);
    const inst = new WebAssembly.Instance(module, {
      env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }), abort() {}, flushIotlb() {} },
    });
    const fqStatsBytes = inst.exports.fqStatsBytes as (cpus: number) => number;
    for (const cpus of [1, 3, 1024]) expect(fqStatsBytes(cpus)).toBe((c.FqGlobal.COUNT + cpus * c.FqStat.COUNT) * 8);
    expect(fqStatsBytes(1024)).toBeLessThanOrEqual(SCRATCH_BYTES);
  });

  it("simLockIndex, asked by the module's SimLock kinds, gives every lock of the model its own index", () => {
    const c = codes(module);
    const inst = new WebAssembly.Instance(module, {
      env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }), abort() {}, flushIotlb() {} },
    });
    const simLockIndex = inst.exports.simLockIndex as (kind: number, n: number) => number;
    const cpus = 4;
    const all = [simLockIndex(c.SimLock.tree, 0)];
    for (let o = 0; o < c.ORDERS; o++) all.push(simLockIndex(c.SimLock.depot, o));
    for (let q = 0; q < cpus; q++) all.push(simLockIndex(c.SimLock.fq, q));
    // the tree lock, then one per order, then one per CPU: 0 .. 1 + ORDERS + cpus - 1, each once
    expect(all).toEqual(Array.from({ length: 1 + c.ORDERS + cpus }, (_, i) => i));
  });

  it("codes within a set are distinct, so each number names one member", () => {
    const c = codes(module);
    for (const set of Object.keys(CODE_SETS) as (keyof typeof CODE_SETS)[]) {
      if (set === "Queued") continue;  // bits and a shift: FLUSHES_SHIFT may equal a bit's value
      const values = Object.values(c[set]);
      expect(new Set(values).size, set).toBe(values.length);
    }
  });
});

describe("a disagreement is refused", () => {
  const real = () => {
    const inst = new WebAssembly.Instance(moduleOf("iova.wasm"), {
      env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }), abort() {}, flushIotlb() {} },
    });
    return { ...inst.exports } as Record<string, unknown>;
  };

  it("a member the core has and the host does not name", () => {
    const ex = real();
    ex["Err.NEW_REASON"] = { value: 99 };
    expect(() => codesOf(ex)).toThrow(/disagree on Err: no host name: NEW_REASON/);
  });

  it("a member the host names and the core lost", () => {
    const ex = real();
    delete ex["Bad.CYCLE"];
    expect(() => codesOf(ex)).toThrow(/disagree on Bad: not exported: CYCLE/);
  });

  it("a constant the core lost", () => {
    const ex = real();
    delete ex.ORDERS;
    expect(() => codesOf(ex)).toThrow(/exports no global ORDERS/);
  });
});
