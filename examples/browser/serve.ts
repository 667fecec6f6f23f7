// A static server for the browser example (examples/browser/) on 127.0.0.1,
// with the two headers SharedArrayBuffer needs (cross-origin isolation):
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Embedder-Policy: require-corp
// It serves the example's files at / and the package's browser build at
// /iova-wasm/ (dist/src/*.js, and iova.wasm from build/). Nothing else: GET
// only, no directory listings, no path outside those two folders.
//
//   npm run build && node dist/examples/browser/serve.js [port]   (default 8080)
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const EXAMPLE = join(ROOT, "examples", "browser");
const DIST = join(ROOT, "dist", "src");
const WASM = join(ROOT, "build", "iova.wasm");
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
};
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
} as const;

/** The file a request path maps to, or null (outside the served folders, or a type not served). */
function fileFor(urlPath: string): string | null {
  const path = decodeURIComponent(urlPath.split("?")[0]!);
  if (path === "/iova-wasm/iova.wasm") return WASM;
  const [dir, rest] = path.startsWith("/iova-wasm/") ? [DIST, path.slice("/iova-wasm/".length)] : [EXAMPLE, path.slice(1) || "index.html"];
  const file = normalize(join(dir, rest));
  if (!file.startsWith(dir + sep) || !(extname(file) in TYPES)) return null;
  return file;
}

export interface ExampleServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 (port 0: any free one); resolves once it listens. */
export function serveExample(port = 8080): Promise<ExampleServer> {
  const server: Server = createServer(async (req, res) => {
    const file = req.method === "GET" ? fileFor(req.url ?? "/") : null;
    let body: Buffer | null = null;
    if (file) body = await readFile(file).catch(() => null);
    if (!file || !body) {
      res.writeHead(404, { "Content-Type": "text/plain", ...ISOLATION_HEADERS }).end("not found\n");
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[extname(file)]!, "Cache-Control": "no-store", ...ISOLATION_HEADERS }).end(body);
  });
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const addr = server.address();
      const actual = typeof addr === "object" && addr ? addr.port : port;
      resolve({
        url: `http://127.0.0.1:${actual}/`,
        close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const port = process.argv[2] === undefined ? 8080 : Number(process.argv[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: port must be an integer from 0 to 65535, got ${process.argv[2]}`);
    process.exit(2);
  }
  const { url } = await serveExample(port);
  console.log(`iova-wasm browser example: open ${url} (Ctrl-C stops)`);
}
