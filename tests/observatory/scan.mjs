// The MDN HTTP Observatory's scan of one page of a local server, printed as JSON.
//
//   node scan.mjs http://127.0.0.1:5000/guide [cookie-header]
//
// The package's own CLI (`mdn-http-observatory-scan <host>`) scans only a host's front page, over
// https first, and cannot send a cookie. This does what its scan() does (src/scanner/index.js):
// the same retriever, the same ten tests, the same grader, but for any path on plain http, with
// an optional Cookie header, so that a patient's or a staff member's own pages can be scanned too.
// The https attempt goes to a closed port, so it fails at once instead of sending a TLS
// handshake to the plain-http server.
import { retrieve } from "@mdn/mdn-http-observatory/src/retriever/retriever.js";
import { ALL_TESTS } from "@mdn/mdn-http-observatory/src/constants.js";
import { MINIMUM_SCORE_FOR_EXTRA_CREDIT } from "@mdn/mdn-http-observatory/src/grader/charts.js";
import { getGradeForScore, getScoreModifier } from "@mdn/mdn-http-observatory/src/grader/grader.js";
import { existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

// The package's postinstall downloads Chromium's HSTS preload list (and the IANA TLD list, which only
// its web API uses). We install with --ignore-scripts, since CI reaches no host but the npm registry,
// so the list is missing: an empty one is the truth for a loopback host, which is never preloaded.
const packageDir = path.dirname(createRequire(import.meta.url).resolve("@mdn/mdn-http-observatory/package.json"));
const preload = path.join(packageDir, "conf", "hsts-preload.json");
if (!existsSync(preload)) writeFileSync(preload, "{}\n");

const [target, cookie, closedPort = "1"] = process.argv.slice(2);
if (!target) {
  console.error("usage: node scan.mjs <http URL> [cookie header] [closed port for https]");
  process.exit(2);
}
const url = new URL(target);
const headers = ["Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"];
if (cookie) headers.push(`Cookie: ${cookie}`);

const requests = await retrieve(url.hostname, {
  httpPort: url.port || "80",
  httpsPort: closedPort,
  path: url.pathname + url.search,
  headers,
});
if (!requests.responses.auto) {
  console.log(JSON.stringify({ error: "The site seems to be down." }));
  process.exit(1);
}

const tests = {};
let extra = 100;
let uncurved = 100;
for (const test of ALL_TESTS) {
  const result = test(requests);
  result.scoreModifier = getScoreModifier(result.result);
  extra += result.scoreModifier;
  if (result.scoreModifier < 0) uncurved += result.scoreModifier;
  tests[result.constructor.name] = result;
}
const grade = getGradeForScore(uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? extra : uncurved);
console.log(JSON.stringify({
  scan: {
    url: url.href,
    statusCode: requests.responses.auto.status,
    finalUrl: requests.session?.redirectHistory.at(-1)?.url.href ?? url.href,
    grade: grade.grade,
    score: grade.score,
    responseHeaders: { ...requests.responses.auto.headers },
  },
  tests,
}, null, 2));
