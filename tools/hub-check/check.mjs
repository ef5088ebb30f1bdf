// Talks to a Hub (the stand-in of tests/Cadre.Tests/Hub) with the official @huggingface/hub client and prints what
// it saw as one JSON object: the recursive file listing, two downloads (a small file and an LFS file, which the Hub
// redirects to its CDN), and a snapshotDownload into a hub cache folder in huggingface_hub's layout.
// Usage: node check.mjs HUB_URL ORG/NAME CACHE_DIR
import { createHash } from "node:crypto";
import { downloadFile, listFiles, snapshotDownload } from "@huggingface/hub";

// The client logs each cache download with console.debug, on stdout: quiet, so stdout is the one JSON line.
console.debug = () => {};

const [hubUrl, repo, cacheDir] = process.argv.slice(2);
if (!hubUrl || !repo || !cacheDir) {
  console.error("usage: node check.mjs HUB_URL ORG/NAME CACHE_DIR");
  process.exit(2);
}

const files = [];
for await (const entry of listFiles({ repo, recursive: true, hubUrl })) {
  files.push({ type: entry.type, path: entry.path, size: entry.size, oid: entry.oid ?? null, lfs: entry.lfs?.oid ?? null });
}
const config = await (await downloadFile({ repo, path: "config.json", hubUrl })).text();
const weights = Buffer.from(await (await downloadFile({ repo, path: "model.safetensors", hubUrl })).arrayBuffer());
const snapshot = await snapshotDownload({ repo, hubUrl, cacheDir });

console.log(JSON.stringify({
  files,
  config,
  weightsSha256: createHash("sha256").update(weights).digest("hex"),
  weightsSize: weights.length,
  snapshot,
}));
