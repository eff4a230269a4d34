// Loaded before Cesium.js. Two jobs:
// 1. Record Content-Security-Policy violations and uncaught errors (window.boostphaseDiagnostics),
//    so that the browser test, or a user in the console, can see them.
// 2. Make "no eval" hold without breaking Cesium. Cesium 1.140's bundle includes knockout, whose
//    start-up runs `this || (0, eval)("this")` to find the global object, and protobufjs, which
//    probes `eval("require")` inside a try/catch. The CSP forbids eval (script-src has no
//    'unsafe-eval'), so the global eval is replaced by a function that answers only "this" with
//    the global object, refuses "require", and passes anything else to the real eval, which the
//    CSP refuses for the page's own scripts (a browser's automation still gets through).
"use strict";
(function () {
  const g = window;
  g.boostphaseDiagnostics = { csp: [], errors: [] };
  document.addEventListener("securitypolicyviolation", function (e) {
    g.boostphaseDiagnostics.csp.push({
      directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
    });
  });
  g.addEventListener("error", function (e) { g.boostphaseDiagnostics.errors.push(String(e.message || e.type)); });
  g.addEventListener("unhandledrejection", function (e) { g.boostphaseDiagnostics.errors.push(String(e.reason)); });
  const nativeEval = g.eval;
  g.eval = function (src) {
    if (src === "this") return g;
    if (src === "require") throw new EvalError("eval is disabled on this page");
    return nativeEval(src); // still refused by the CSP for the page's scripts
  };
})();
