// Witnesses of a compiled circuit for a batch of inputs, computed by the circuit's own wasm
// witness calculator (what circom's generate_witness.js runs), one fresh instance per input.
//
//   node tests/circuits/witness.mjs < request.json
// stdin:  {"wasm": "circuits/build/<v>/<v>_js/<v>.wasm", "publicCount": n,
//          "inputs": [{...circuit input...}, ...], "wtns": [path or null, ...] (optional)}
// stdout: {"results": [{"ok": true, "public": [...]} | {"ok": false, "error": "..."}, ...]}
//         where "public" is witness[1..n], the public signals in snarkjs order.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

const readStdin = async () => {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
};

const main = async () => {
  const { wasm, publicCount, inputs, wtns = [] } = JSON.parse(await readStdin());
  const builder = require(path.resolve(path.dirname(wasm), "witness_calculator.js"));
  const code = readFileSync(wasm);
  const results = [];
  for (const [i, input] of inputs.entries()) {
    const calculator = await builder(code);
    try {
      const witness = await calculator.calculateWitness(input, true);
      if (wtns[i]) writeFileSync(wtns[i], await calculator.calculateWTNSBin(input, true));
      results.push({ ok: true, public: witness.slice(1, 1 + publicCount).map(String) });
    } catch (err) {
      results.push({ ok: false, error: String(err.message ?? err).split("\n")[0] });
    }
  }
  process.stdout.write(JSON.stringify({ results }));
};

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  },
);
