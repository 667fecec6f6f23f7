// The browser entry in a real browser: the example page (examples/browser/)
// served from 127.0.0.1 with COOP/COEP, opened in headless Chromium (the npm
// one, test/helpers/chromium.ts). Two Web Workers allocate, write, verify and
// free in one SharedArena; the page checks overlaps and bytes while the
// blocks are held, and the books after; this test checks the page's figures.
import { afterAll, describe, expect, it } from "vitest";
import type { Browser } from "puppeteer-core";
import { serveExample, type ExampleServer } from "../dist/examples/browser/serve.js";
import { launchChromium } from "./helpers/chromium.js";

interface WorkerFigures { index: number; allocated: number; nulls: number; verified: number; freed: number; closed: boolean }
interface PageResult {
  ok: boolean;
  error?: string;
  crossOriginIsolated: boolean;
  workers: WorkerFigures[];
  blocks: number;
  overlaps: number;
  badBytes: number;
  liveWhileHeld: number;
  cachedBeforeTrim: number;
  stats: { bytes: number; freeBytes: number; liveAllocations: number; allocs: number; frees: number };
}

let server: ExampleServer | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("SharedArena in headless Chromium with 2 Web Workers", { timeout: 120_000 }, () => {
  it("serves the example cross-origin isolated, and the workers' books balance", async () => {
    server = await serveExample(0);
    browser = await launchChromium();
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${(e as Error).message}`));
    page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
    page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()}`));

    const res = await page.goto(server.url, { waitUntil: "load", timeout: 30_000 });
    expect(res?.status()).toBe(200);
    expect(res?.headers()["cross-origin-opener-policy"]).toBe("same-origin");
    expect(res?.headers()["cross-origin-embedder-policy"]).toBe("require-corp");
    await page.waitForFunction(() => (globalThis as { exampleResult?: unknown }).exampleResult !== undefined, { timeout: 60_000 });
    const r = (await page.evaluate(() => (globalThis as unknown as { exampleResult: unknown }).exampleResult)) as PageResult;
    expect(r.error, problems.join("\n")).toBeUndefined();

    expect(r.crossOriginIsolated).toBe(true);
    expect(r.workers.map((w) => w.index)).toEqual([0, 1]);
    for (const w of r.workers) {
      expect(w.nulls).toBe(0); // 64 MiB holds both workers' blocks (about 9 MB each)
      expect(w.allocated).toBe(2000);
      expect(w.verified).toBe(2000);
      expect(w.freed).toBe(2000);
      expect(w.closed).toBe(true); // `using` closed the worker's view
    }
    expect(r.blocks).toBe(4000);
    expect(r.liveWhileHeld).toBe(4000);
    expect(r.cachedBeforeTrim).toBeGreaterThan(0); // small frees went through the caches
    expect(r.overlaps).toBe(0);
    expect(r.badBytes).toBe(0);
    expect(r.stats).toEqual({ bytes: 64 << 20, freeBytes: 64 << 20, liveAllocations: 0, allocs: 4000, frees: 4000 });
    expect(r.ok).toBe(true);
    expect(problems).toEqual([]);
  });

  it("refuses what it does not serve", async () => {
    server ??= await serveExample(0);
    for (const path of ["/../package.json", "/%2e%2e/package.json", "/iova-wasm/../../package.json", "/iova-wasm/index.d.ts", "/serve.ts"]) {
      const res = await fetch(new URL(path, server.url));
      expect(res.status, path).toBe(404);
    }
    const wasm = await fetch(new URL("/iova-wasm/iova.wasm", server.url));
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
    expect(wasm.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    expect(new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4)).toEqual(new Uint8Array([0, 0x61, 0x73, 0x6d]));
  });
});
