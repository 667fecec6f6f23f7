// The package as users get it: `npm pack` the built repository, install the
// tarball into a scratch project, and use it from there (main thread and a
// worker) through the bare specifier "iova-wasm". Needs the build that
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

describe("npm pack + install into a scratch project", () => {
  it("installs and works through the bare specifier, in the main thread and in a worker", async () => {
    for (const f of ["dist/src/index.js", "dist/src/arena/shared-arena.js", "build/iova.wasm"]) {
      expect(existsSync(join(ROOT, f)), `${f} missing: build first (npm test's pretest does)`).toBe(true);
    }
    const packOut = await sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], ROOT);
    const [pack] = JSON.parse(packOut) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = pack.files.map((f) => f.path);
    for (const f of ["package.json", "build/iova.wasm", "dist/src/index.js", "dist/src/index.d.ts",
      "dist/src/arena/shared-arena.js", "dist/src/arena/errors.js", "dist/examples/shared-arena-workers.js",
      "dist/examples/shared-arena-worker.js"]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(test|assembly|src|examples)\//.test(f))).toEqual([]);

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
  }, 90_000);
});
