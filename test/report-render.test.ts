// Renders study.html in headless Chromium and checks that the charts really
// draw: DOM structure (--dump-dom plus an in-page geometry probe) and the
// pixels of a screenshot. Chromium comes from npm (test/helpers/chromium.ts).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { policyColor, ORDER_COLORS } from "../dist/src/report/html.js";
import { summarize } from "../dist/src/report/table.js";
import { launchChromium } from "./helpers/chromium.js";
import { writeReport } from "../dist/src/report/write.js";
import type { PolicyResult, StudyResult } from "../dist/src/report/types.js";

const WIDTH = 1200;
const HEIGHT = 2400;
const POLICIES = ["linux-5.10", "cpu-flush", "scaled-depot", "linux-6.4", "adaptive"];
const SAMPLES = 3600; // 1 h at 1 s: above the 2000-point budget, so downsampling runs

/** A one-hour study where linux-5.10 falls off a cliff at 40 minutes. */
function syntheticStudy(): StudyResult {
  const policies: PolicyResult[] = POLICIES.map((policy, k) => {
    const t: number[] = [];
    const iops: number[] = [];
    const cached: number[] = [];
    const tree: number[] = [];
    const mags: number[][] = [[], [], [], [], [], []];
    for (let i = 0; i < SAMPLES; i++) {
      t.push(i + 1);
      const broken = k === 0 && i >= 2400;
      iops.push((broken ? 60_000 : 300_000 - k * 20_000) + 5000 * Math.sin(i / 30 + k));
      cached.push(k === 0 ? 1000 + i * 400 : 20_000 + 8000 * k + 3000 * Math.sin(i / 200));
      tree.push(k === 0 ? 500 + i * 20 : 2000 + 3000 * k + 500 * Math.sin(i / 300));
      for (let o = 0; o < 6; o++) {
        mags[o]!.push(Math.round((6 - o) * 4 + (k === 0 ? i / (50 * (o + 1)) : 3 * Math.sin(i / 100 + o))));
      }
    }
    const series = {
      t,
      iops,
      cachedTotal: cached,
      cpuTotal: cached.map((c) => c * 0.3),
      depotTotal: cached.map((c) => c * 0.7),
      treeSize: tree,
      depotMags: mags,
      depotFullEvents: t.map((x) => x * 2),
      magsFreedToTree: t.map(() => 0),
      fqTimerFirings: t.map((x) => x * 100),
      fqDepthMax: t.map(() => 256),
    };
    return { policy, series, summary: summarize(series, 1) };
  });
  return {
    meta: {
      tool: "iova-wasm aging <study>",
      version: "0.1.0",
      date: "2025-01-01T00:00:00Z",
      node: process.version,
      machine: "test & <machine>",
      seed: 42,
      simulatedSeconds: SAMPLES,
      wallSeconds: 12.5,
      config: { cpus: 16, note: "</pre><script>document.title='pwned'</script>" },
    },
    policies,
  };
}

/** Loads `url` in a fresh page of `WIDTH` x `HEIGHT`; resolves with the DOM after load and a screenshot. */
async function chromium(url: string): Promise<{ dom: string; png: Buffer }> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: WIDTH, height: HEIGHT });
    await page.goto(url, { waitUntil: "load", timeout: 60_000 });
    return { dom: await page.content(), png: Buffer.from(await page.screenshot({ type: "png" })) };
  } finally {
    await browser.close();
  }
}

interface Image {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel */
  rgb: Uint8Array;
}

/** Just enough PNG decoding for Chromium screenshots: 8-bit RGB/RGBA, no interlace. */
function decodePng(buf: Buffer): Image {
  expect(buf.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString("latin1", off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colorType, , , interlace] = data.subarray(8);
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) {
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${interlace}`);
      }
      channels = colorType === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[row + x - channels]! : 0;
      const b = y > 0 ? px[row - stride + x]! : 0;
      const c = x >= channels && y > 0 ? px[row - stride + x - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      if (pred === undefined) throw new Error(`bad PNG filter ${filter}`);
      px[row + x] = (raw[src + x]! + pred) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(px.subarray(i * channels, i * channels + 3), i * 3);
  return { width, height, rgb };
}

/** Pixels within a small distance of `hex` (antialiasing blends line edges). */
function countColor(img: Image, hex: string, tolerance = 24): number {
  const r = parseInt(hex.slice(1, 3), 16);
  const g = parseInt(hex.slice(3, 5), 16);
  const b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let i = 0; i < img.rgb.length; i += 3) {
    if (Math.abs(img.rgb[i]! - r) + Math.abs(img.rgb[i + 1]! - g) + Math.abs(img.rgb[i + 2]! - b) <= tolerance) n++;
  }
  return n;
}

// Runs in the page: measures what the layout engine actually drew.
const PROBE = `<script>
const box = (e) => { const r = e.getBoundingClientRect(); return { w: r.width, h: r.height, top: r.top }; };
const probe = {
  title: document.title,
  charts: [...document.querySelectorAll("figure > svg.chart")].map(box),
  captions: document.querySelectorAll("figure > figcaption").length,
  paths: [...document.querySelectorAll("svg.chart path")].map((p) => ({ series: p.dataset.series, len: p.getTotalLength(), ...box(p) })),
  xLabels: [...document.querySelectorAll("text.x-label")].map((t) => ({ text: t.textContent, ...box(t) })),
  yLabels: [...document.querySelectorAll("text.y-label")].map((t) => ({ text: t.textContent, ...box(t) })),
  tickLabels: [...document.querySelectorAll("text.x-tick, text.y-tick")].map((t) => ({ text: t.textContent, ...box(t) })),
  scripts: document.scripts.length,
};
const pre = document.createElement("pre");
pre.id = "probe";
pre.textContent = JSON.stringify(probe);
document.body.append(pre);
</script>`;

interface Box {
  w: number;
  h: number;
  top: number;
}
interface Probe {
  title: string;
  charts: Box[];
  captions: number;
  paths: Array<Box & { series: string; len: number }>;
  xLabels: Array<Box & { text: string }>;
  yLabels: Array<Box & { text: string }>;
  tickLabels: Array<Box & { text: string }>;
  scripts: number;
}

const unescapeText = (s: string): string => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&nbsp;/g, "\u00a0").replace(/&amp;/g, "&");

interface Rendered {
  dom: string;
  probe: Probe;
  png: Buffer;
}

let dir = "";
let rendered: Promise<Rendered> | undefined;

/**
 * Renders once, shared by all tests. Called from each test rather than from
 * beforeAll so a missing Chromium shows up as failed tests, not skipped ones.
 */
function render(): Promise<Rendered> {
  rendered ??= (async () => {
    dir = await mkdtemp(join(tmpdir(), "report-render-"));
    const paths = await writeReport(syntheticStudy(), dir);
    // The probe goes into a copy: study.html itself stays script-free.
    const probed = join(dir, "probed.html");
    await writeFile(probed, (await readFile(paths.html, "utf8")).replace("</body>", `${PROBE}</body>`));
    const [{ png }, { dom }] = await Promise.all([
      chromium(pathToFileURL(paths.html).href),
      chromium(pathToFileURL(probed).href),
    ]);
    const m = /<pre id="probe">([^<]*)<\/pre>/.exec(dom);
    if (!m) throw new Error(`probe output missing from --dump-dom (${dom.length} chars)`);
    return { dom, probe: JSON.parse(unescapeText(m[1]!)) as Probe, png };
  })();
  return rendered;
}

describe("study.html in headless Chromium", { timeout: 120_000 }, () => {
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("has every chart path with a non-empty d, axis labels and no NaN in the DOM", async () => {
    const { dom } = await render();
    const ds = [...dom.matchAll(/<path\b[^>]*\sd="([^"]*)"/g)].map((m) => m[1]!.trim());
    // 3 comparison charts x 5 policies + 5 depot charts x 6 orders.
    const expected = 3 * POLICIES.length + POLICIES.length * 6;
    expect(ds).toHaveLength(expected);
    expect(ds.every((d) => d.length > 0)).toBe(true);
    expect(dom.match(/<figure>/g)).toHaveLength(3 + POLICIES.length);
    for (const label of ["simulated time", "IOPS", "cached IOVAs", "ranges in tree", "depot magazines"]) {
      expect(dom).toContain(`>${label}</text>`);
    }
    for (const tick of ["10m", "30m", "1h", "300K", "1.5M"]) expect(dom).toContain(`>${tick}</text>`);
    expect(dom).not.toMatch(/NaN|Infinity/);
    expect(dom).toContain("test &amp; &lt;machine&gt;");
  });

  it("lays the charts out with real geometry", async () => {
    const { probe } = await render();
    expect(probe.title).not.toBe("pwned"); // the config's <script> stayed text
    expect(probe.scripts).toBe(1); // only the probe itself
    expect(probe.charts).toHaveLength(3 + POLICIES.length);
    expect(probe.captions).toBe(3 + POLICIES.length);
    for (const c of probe.charts) {
      expect(c.w).toBeGreaterThan(300);
      expect(c.h).toBeGreaterThan(200);
    }
    // Every series path has stroked length and spans most of its chart.
    expect(probe.paths).toHaveLength(3 * POLICIES.length + POLICIES.length * 6);
    for (const p of probe.paths) {
      expect(p.len, p.series).toBeGreaterThan(100);
      expect(p.w, p.series).toBeGreaterThan(200);
    }
    // Axis labels and tick labels were laid out with visible text.
    expect(probe.xLabels).toHaveLength(3 + POLICIES.length);
    expect(probe.yLabels.map((l) => l.text)).toContain("IOPS");
    for (const l of [...probe.xLabels, ...probe.yLabels, ...probe.tickLabels]) {
      expect(l.w > 0 && l.h > 0, `label ${l.text}`).toBe(true);
    }
    // Everything the screenshot checks below must be inside the window.
    expect(Math.max(...probe.charts.map((c) => c.top + c.h))).toBeLessThan(HEIGHT);
  });

  it("produces a screenshot with every policy and order colour drawn", async () => {
    const { png } = await render();
    expect(png.length).toBeGreaterThan(50_000); // a blank page is ~5 KB
    expect(png.toString("latin1", 12, 16)).toBe("IHDR");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([WIDTH, HEIGHT]);
    const img = decodePng(png);

    // Not a single colour: many distinct colours, and real ink on the page.
    const colours = new Set<number>();
    let dark = 0;
    for (let i = 0; i < img.rgb.length; i += 3) {
      colours.add((img.rgb[i]! << 16) | (img.rgb[i + 1]! << 8) | img.rgb[i + 2]!);
      if (img.rgb[i]! + img.rgb[i + 1]! + img.rgb[i + 2]! < 300) dark++;
    }
    expect(colours.size).toBeGreaterThan(100);
    expect(dark).toBeGreaterThan(20_000);

    // Legend samples are short dashed lines (at most 3 x 66 px per policy
    // colour) and the direct labels a few hundred more; the lines, dashed so
    // that they differ without colour, add over a thousand even when dotted,
    // so a threshold above the samples and labels proves the lines were drawn.
    POLICIES.forEach((p, i) => expect(countColor(img, policyColor(p, i)), p).toBeGreaterThan(600));
    // Order colours: 5 legend samples (at most 66 px each) plus the depot lines.
    ORDER_COLORS.forEach((c, o) => expect(countColor(img, c), `order ${o}`).toBeGreaterThan(600));
  });
});
