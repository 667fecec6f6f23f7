// The package as users get it: `npm pack` the built repository, install the
// tarball into a scratch project, and use it from there (main thread and a
// worker) through the bare specifier "iova-wasm": the README's stand-alone
// examples, its `using` example compiled by tsc, tsc --noEmit of both entries
// without the DOM lib, require() from CommonJS, and the browser entry's
// import graph. Needs the build that
// `npm test`'s pretest makes; npm pack runs with --ignore-scripts so that it
// does not rebuild.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "iova-wasm-pack-"));

/** The environment minus what `npm test` set for its own run (npm_package_*, npm_lifecycle_*, prefixes, ...). */
function cleanEnv(): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_cache", "npm_config_userconfig", "npm_config_registry", "npm_config_cafile"]);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) || keep.has(k.toLowerCase())) env[k] = v;
  }
  return env;
}

function sh(cmd: string, args: string[], cwd: string, timeout = 45_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout, env: cleanEnv(), maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")} failed in ${cwd}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const CHECK = `
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import {
  IovaDomain, SharedArena, DoubleFreeError, InvalidFreeError, InvalidArgumentError, IovaError,
} from "iova-wasm";

const d = new IovaDomain(4096, 1, { cpus: 1, maxRanges: 64 });
const treePfn = d.alloc(8, 1000, true);
const fastPfn = d.allocFast(3, 1000);
d.freeFast(fastPfn, 3);
const treeFreed = d.free(treePfn);

const arena = SharedArena.create({ bytes: 1 << 20, unit: 64, workers: 1, debug: true });
const mine = arena.alloc(1000);
arena.u8(mine, 1000).fill(0xab);
const w = new Worker(new URL("./worker.mjs", import.meta.url), { workerData: arena.handle });
const [msg] = await once(w, "message");
await once(w, "exit");
const workerDataIntact = arena.u8(msg.offset, msg.bytes).every((b) => b === 0xcd);
const mainDataIntact = arena.u8(mine, 1000).every((b) => b === 0xab);
arena.free(msg.offset, msg.bytes);
arena.free(mine, 1000);
let doubleFree = null;
try { arena.free(mine, 1000); } catch (e) {
  doubleFree = { name: e.name, typed: e instanceof DoubleFreeError && e instanceof InvalidFreeError && e instanceof InvalidArgumentError && e instanceof IovaError };
}
let badSize = null;
try { arena.alloc(1.5); } catch (e) { badSize = { name: e.name, argument: e.argument, value: e.value }; }
arena.trim();
const s = arena.stats();
console.log(JSON.stringify({
  resolved: import.meta.resolve("iova-wasm"),
  domain: { treePfn, fastPfn, treeFreed, ranges: d.ranges().length },
  arena: { mine, worker: msg, workerDataIntact, mainDataIntact, doubleFree, badSize,
    stats: { liveAllocations: s.liveAllocations, freeBytes: s.freeBytes, bytes: s.bytes, allocs: s.allocs, frees: s.frees } },
}));
`;

const WORKER = `
import { parentPort, workerData } from "node:worker_threads";
import { SharedArena } from "iova-wasm";
const a = SharedArena.attach(workerData, 0);
const offset = a.alloc(5000);
a.u8(offset, 5000).fill(0xcd);
a.close();
parentPort.postMessage({ offset, bytes: 5000 });
`;

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
/** The scratch project the first test installed the tarball into. */
let installed: string | undefined;
function needApp(): string {
  if (!installed) throw new Error("the install test above failed, so there is no scratch project to use");
  return installed;
}

/** The README's fenced code blocks of one language, in order. */
function readmeBlocks(lang: string): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  return [...readme.matchAll(new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```", "gm"))].map((m) => m[1]!);
}

describe("npm pack + install into a scratch project", () => {
  it("installs and works through the bare specifier, in the main thread and in a worker", async () => {
    for (const f of ["dist/src/index.js", "dist/src/arena/shared-arena.js", "build/iova.wasm"]) {
      expect(existsSync(join(ROOT, f)), `${f} missing: build first (npm test's pretest does)`).toBe(true);
    }
    const packOut = await sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], ROOT);
    const [pack] = JSON.parse(packOut) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = pack.files.map((f) => f.path);
    for (const f of ["package.json", "LICENSE", "build/iova.wasm", "build/iova-sim.wasm", "dist/src/index.js", "dist/src/index.d.ts",
      "dist/src/browser.js", "dist/src/browser.d.ts", "dist/src/wasm/types.d.ts", "cjs/index.cjs",
      "dist/src/arena/shared-arena.js", "dist/src/arena/errors.js", "dist/examples/shared-arena-workers.js",
      "dist/examples/shared-arena-worker.js"]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(test|assembly|src|examples|bench|dist\/bench)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/GNU GENERAL PUBLIC LICENSE\s+Version 2, June 1991[\s\S]*END OF TERMS AND CONDITIONS/);
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(manifest.license).toBe("GPL-2.0-only");
    expect(manifest.dependencies ?? {}).toEqual({}); // the runtime imports nothing from npm

    const app = join(scratch, "app");
    mkdirSync(app);
    await sh("npm", ["init", "-y"], app);
    const pj = JSON.parse(readFileSync(join(app, "package.json"), "utf8"));
    pj.type = "module";
    writeFileSync(join(app, "package.json"), JSON.stringify(pj, null, 2));
    await sh("npm", ["install", join(scratch, pack.filename), "--no-audit", "--no-fund", "--prefer-offline"], app);
    expect(existsSync(join(app, "node_modules/iova-wasm/build/iova.wasm"))).toBe(true);
    expect(existsSync(join(app, "node_modules/.bin/iova"))).toBe(true);

    writeFileSync(join(app, "check.mjs"), CHECK);
    writeFileSync(join(app, "worker.mjs"), WORKER);
    const out = JSON.parse((await sh(process.execPath, ["check.mjs"], app)).trim());
    expect(out.resolved).toBe(`file://${join(app, "node_modules/iova-wasm/dist/src/index.js")}`);
    expect(out.domain).toEqual({ treePfn: 992, fastPfn: expect.any(Number), treeFreed: true, ranges: 1 });
    expect(out.arena.mine % 64).toBe(0);
    expect(out.arena.worker.bytes).toBe(5000);
    expect(out.arena.worker.offset % 64).toBe(0);
    expect(out.arena.workerDataIntact).toBe(true);
    expect(out.arena.mainDataIntact).toBe(true);
    expect(out.arena.doubleFree).toEqual({ name: "DoubleFreeError", typed: true });
    expect(out.arena.badSize).toEqual({ name: "InvalidArgumentError", argument: "bytes", value: 1.5 });
    expect(out.arena.stats).toEqual({ liveAllocations: 0, freeBytes: 1 << 20, bytes: 1 << 20, allocs: 2, frees: 2 });
    installed = app;
  }, 90_000);

  it("runs the README's stand-alone examples as written", async () => {
    const app = needApp();
    const blocks = readmeBlocks("js").filter((b) => b.startsWith("import "));
    expect(blocks.length).toBeGreaterThanOrEqual(2); // the domain tour and LocalCache, at least
    for (const [i, code] of blocks.entries()) {
      writeFileSync(join(app, `readme-${i}.mjs`), code);
      await sh(process.execPath, [`readme-${i}.mjs`], app);
    }
  }, 60_000);

  it("type-checks with tsc --noEmit, strict, without the DOM lib (and with it)", async () => {
    const app = needApp();
    const tsc = (name: string, options: Record<string, unknown>, code: string) => {
      writeFileSync(join(app, `${name}.ts`), code);
      writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify({
        compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "ES2022",
          skipLibCheck: false, noEmit: true, ...options },
        files: [`${name}.ts`],
      }));
      return sh(process.execPath, [TSC, "-p", `tsconfig.${name}.json`], app, 180_000);
    };
    const browserCode = `import { SharedArena, loadWasm, IovaDomain, type WasmModule } from "iova-wasm/browser";
const m: WasmModule = await loadWasm(new Uint8Array(8));
const a = SharedArena.create({ bytes: 1 << 20 });
const off: number | null = a.alloc(64);
a.close();
const d = new IovaDomain(4096, 1);
const mem = d.handle.memory.buffer;
export const seen = [m, off, mem, d[Symbol.dispose]];
`;
    // No lib but ES2022, no @types at all: the browser entry's declarations stand alone.
    await tsc("browser-nodom", { lib: ["ES2022"], types: [] }, browserCode);
    // With the DOM lib: the package's own WebAssembly types must not clash with the DOM's.
    await tsc("browser-dom", { lib: ["ES2022", "DOM", "ESNext.Disposable"], types: [] },
      browserCode + `const real: WebAssembly.Module = new WebAssembly.Module(new Uint8Array(8)); await loadWasm(real);\n`);
    // The Node entry (CpuPool needs @types/node), still no DOM lib.
    await tsc("node-nodom", { lib: ["ES2022"], types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")] },
      `import { IovaDomain, CpuPool, SharedArena } from "iova-wasm";
const d = new IovaDomain(4096, 1, { cpus: 2 });
const pool: Promise<CpuPool> = CpuPool.start(d);
console.log(pool, SharedArena.create({ bytes: 4096 }).handle);
`);
  }, 400_000);

  it("compiles the README's `using` example with tsc and runs it: every scope's resources released", async () => {
    const app = needApp();
    const [code] = readmeBlocks("ts").filter((b) => b.includes("using "));
    expect(code).toBeDefined();
    writeFileSync(join(app, "using.ts"), code!);
    writeFileSync(join(app, "tsconfig.using.json"), JSON.stringify({
      compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "ES2022",
        lib: ["ES2022", "ESNext.Disposable"], types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")],
        skipLibCheck: false, outDir: "out-using" },
      files: ["using.ts"],
    }));
    await sh(process.execPath, [TSC, "-p", "tsconfig.using.json"], app, 180_000);
    // The compiled code calls [Symbol.dispose] in reverse order: the arena view, the cache, the domain.
    expect((await sh(process.execPath, ["out-using/using.js"], app)).trim()).toBe("true true");
  }, 200_000);

  it("require() from CommonJS gets the same module, or one line saying to use import", async () => {
    const app = needApp();
    writeFileSync(join(app, "check.cjs"), `
const { IovaDomain, SharedArena } = require("iova-wasm");
const d = new IovaDomain(4096, 1, { cpus: 1, maxRanges: 64 });
import("iova-wasm").then((esm) => console.log(JSON.stringify({
  pfn: d.alloc(8, 1000, true), same: esm.IovaDomain === IovaDomain && esm.SharedArena === SharedArena,
})));
`);
    const features = process.features as { require_module?: boolean };
    if (features.require_module) {
      expect(JSON.parse((await sh(process.execPath, ["check.cjs"], app)).trim())).toEqual({ pfn: 992, same: true });
    }
    // With require(esm) off (older Node, or the flag): a one-line message, no stack into the shim.
    const off = features.require_module ? ["--no-experimental-require-module"] : [];
    const err = await sh(process.execPath, [...off, "check.cjs"], app).then(() => null, (e: Error) => e.message);
    expect(err).toMatch(/Error: iova-wasm is an ES module and this Node cannot require\(\) it: use `import \{ IovaDomain \} from "iova-wasm"`[^\n]*\n/);
    expect(err).not.toMatch(/at .*index\.cjs/);
  }, 60_000);

  it("the browser entry's import graph holds no Node built-in", () => {
    const app = needApp();
    const pkg = join(app, "node_modules/iova-wasm");
    const seen = new Set<string>();
    const builtins: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(/(?:^|[\s;])(?:import|export)\b[^"';]*?from\s*["']([^"']+)["']|import\s*\(?\s*["']([^"']+)["']/g)) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith(".")) visit(join(file, "..", spec));
        else builtins.push(`${file.slice(pkg.length)}: ${spec}`);
      }
    };
    visit(join(pkg, "dist/src/browser.js"));
    expect(seen.size).toBeGreaterThan(8);
    expect(builtins).toEqual([]);
    // The Node entry does reach worker_threads (CpuPool): the walk would see it.
    seen.clear();
    visit(join(pkg, "dist/src/index.js"));
    expect(builtins.some((b) => b.endsWith("node:worker_threads"))).toBe(true);
  });
});
