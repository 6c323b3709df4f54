#!/usr/bin/env node
// A long-lived witness worker for provers other than snarkjs (zkfed.proving_groth16py): one
// JSON request per stdin line, one JSON answer per stdout line.
//   {"id": 1, "input": {...}, "wasm": "circuit.wasm", "wtns": "out.wtns"}
// It runs circom's own witness calculator (the one snarkjs uses), keeping each compiled circuit
// between calls, and writes the witness in the iden3 .wtns format.
"use strict";

const fs = require("fs");
const readline = require("readline");
const { WitnessCalculatorBuilder } = require("circom_runtime");
const { utils } = require("ffjavascript");

const calculators = new Map();

function answer(message) {
  fs.writeSync(1, JSON.stringify(message) + "\n");
}

async function calculator(wasm) {
  if (!calculators.has(wasm)) {
    calculators.set(wasm, await WitnessCalculatorBuilder(fs.readFileSync(wasm)));
  }
  return calculators.get(wasm);
}

async function handle(request) {
  const started = process.hrtime.bigint();
  const wc = await calculator(request.wasm);
  const wtns = await wc.calculateWTNSBin(utils.unstringifyBigInts(request.input), true);
  fs.writeFileSync(request.wtns, wtns);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let request;
    try {
      request = JSON.parse(line);
    } catch (error) {
      answer({ id: null, error: `malformed request: ${error.message}` });
      continue;
    }
    try {
      answer({ id: request.id, ...(await handle(request)) });
    } catch (error) {
      answer({ id: request.id, error: String(error && error.message ? error.message : error) });
    }
  }
  process.exit(0);
}

main();
