// node tests/verify/js/run_cases.mjs <folder>: web/static/verify.js over every case file in
// <folder> (tests/vectors/verify/); prints {name: {outcome, ...}} as JSON. Node.js 20 or later
// (WebCrypto with Ed25519, DecompressionStream). tests/verify/test_shared_cases.py runs it.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import * as v from "../../../web/static/verify.js";
import { runCases } from "./cases.mjs";

const folder = process.argv[2];
const files = readdirSync(folder, { recursive: true }).filter((f) => f.endsWith(".json"));
const cases = files.map((f) => JSON.parse(readFileSync(join(folder, f), "utf-8")));
process.stdout.write(JSON.stringify(await runCases(v, cases)));
