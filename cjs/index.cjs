// CommonJS entry of iova-wasm, an ES module package. Node 20.19+ and 22.12+
// load ES modules with require(), so this hands over the ES module itself:
// one instance for import and require, no dual-package copies of the classes.
// Where require() of ES modules is off, it fails with one line saying what to do.
"use strict";
try {
  module.exports = require("../dist/src/index.js");
} catch (e) {
  if (e && (e.code === "ERR_REQUIRE_ESM" || e.code === "ERR_REQUIRE_ASYNC_MODULE")) {
    const err = new Error(
      "iova-wasm is an ES module and this Node cannot require() it: use `import { IovaDomain } from \"iova-wasm\"` " +
        "(or `await import(\"iova-wasm\")` from CommonJS), or Node 20.19+ / 22.12+",
    );
    err.code = "ERR_REQUIRE_ESM";
    err.stack = `Error: ${err.message}`; // one line: the trace into this shim says nothing
    throw err;
  }
  throw e;
}
