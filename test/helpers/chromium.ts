// Headless Chromium from the npm registry, so the browser tests need nothing
// but `npm install`: @sparticuz/chromium ships a brotli-packed Chromium
// (headless_shell) and fonts inside the package. Its own executablePath()
// unpacks to a fixed /tmp/chromium with an exists-then-write check, which
// races when several test runs start at once and goes stale across versions;
// this unpacks once per package version into the repository's .cache/ and
// publishes the directory with one atomic rename, so a reader never sees a
// half-written binary. Driven through puppeteer-core (the shell build's
// --dump-dom/--screenshot command-line modes hang without a GPU here).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync } from "node:zlib";
import puppeteer, { type Browser } from "puppeteer-core";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const require = createRequire(import.meta.url);
// The package exports only its entry (build/index.js); bin/ and package.json sit one level up.
const PKG_DIR = join(dirname(require.resolve("@sparticuz/chromium")), "..");
const PKG_BIN = join(PKG_DIR, "bin");
const VERSION = (JSON.parse(readFileSync(join(PKG_DIR, "package.json"), "utf8")) as { version: string }).version;
const DIR = join(ROOT, ".cache", `chromium-${VERSION}`);

/** Regular files of a ustar archive (all fonts.tar holds): path -> bytes. */
function untar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let off = 0; off + 512 <= tar.length; ) {
    const name = tar.toString("latin1", off, off + 100).replace(/\0.*$/s, "");
    if (name === "") break; // the two zero blocks that end the archive
    const size = parseInt(tar.toString("latin1", off + 124, off + 136).replace(/\0.*$/s, "").trim() || "0", 8);
    const type = tar.toString("latin1", off + 156, off + 157);
    if (type === "0" || type === "\0") files.set(name, tar.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Unpacks the binary and fonts into `dir`, with a fontconfig file that sees only those fonts (same text on every machine). */
function unpackInto(dir: string): void {
  writeFileSync(join(dir, "chromium"), brotliDecompressSync(readFileSync(join(PKG_BIN, "chromium.br"))));
  chmodSync(join(dir, "chromium"), 0o755);
  for (const [name, bytes] of untar(brotliDecompressSync(readFileSync(join(PKG_BIN, "fonts.tar.br"))))) {
    if (!name.startsWith("fonts/")) continue; // the package's fonts.conf names /tmp paths; ours is below
    mkdirSync(join(dir, dirname(name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  writeFileSync(
    join(dir, "fonts.conf"),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
      `  <dir>${join(DIR, "fonts")}</dir>\n  <cachedir>${join(DIR, "fonts-cache")}</cachedir>\n</fontconfig>\n`,
  );
}

/** Path of the unpacked Chromium, unpacking it first if needed (about 210 MB, 2-3 s). */
export function chromiumExecutable(): string {
  const exe = join(DIR, "chromium");
  if (existsSync(exe)) return exe;
  mkdirSync(dirname(DIR), { recursive: true });
  const staging = mkdtempSync(`${DIR}.partial-`);
  try {
    unpackInto(staging);
    renameSync(staging, DIR);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(exe)) throw e; // otherwise a concurrent run published it first: use theirs
  }
  return exe;
}

/** Launches headless Chromium with a throwaway profile (puppeteer makes and removes it). */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumExecutable(),
    headless: "shell",
    // No sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    env: { ...process.env, FONTCONFIG_FILE: join(DIR, "fonts.conf") },
    timeout: 60_000,
  });
}
