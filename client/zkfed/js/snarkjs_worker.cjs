#!/usr/bin/env node
// A long-lived snarkjs worker: one JSON request per stdin line, one JSON answer per stdout line.
// Keeping one process alive saves node start-up and curve set-up (~1 s) on every chunk.
//   {"id": 1, "op": "prove", "input": {...}, "wasm": "...", "zkey": "..."}
//   {"id": 2, "op": "verify", "vkey": {...}, "publicSignals": [...], "proof": {...}}
//   {"id": 3, "op": "witness", "input": {...}, "wasm": "...", "wtns": "out.wtns"}
// "witness" serves provers other than snarkjs (zkfed.proving_groth16py): circom's own witness
// calculator, each compiled circuit kept between calls, written in the iden3 .wtns format.
"use strict";

const fs = require("fs");
const readline = require("readline");
const snarkjs = require("snarkjs");
const { WitnessCalculatorBuilder } = require("circom_runtime");
const { utils } = require("ffjavascript");

const calculators = new Map();

async function calculator(wasm) {
  if (!calculators.has(wasm)) {
    calculators.set(wasm, await WitnessCalculatorBuilder(fs.readFileSync(wasm)));
  }
  return calculators.get(wasm);
}

function answer(message) {
  // Synchronous writes: a large answer must not be cut when the process exits.
  fs.writeSync(1, JSON.stringify(message) + "\n");
}

async function handle(request) {
  if (request.op === "prove") {
    const started = process.hrtime.bigint();
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      request.input, request.wasm, request.zkey,
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { proof, publicSignals, seconds };
  }
  if (request.op === "verify") {
    const valid = await snarkjs.groth16.verify(request.vkey, request.publicSignals, request.proof);
    return { valid };
  }
  if (request.op === "witness") {
    const started = process.hrtime.bigint();
    const wc = await calculator(request.wasm);
    const wtns = await wc.calculateWTNSBin(utils.unstringifyBigInts(request.input), true);
    fs.writeFileSync(request.wtns, wtns);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  }
  throw new Error(`unknown op ${request.op}`);
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
  // snarkjs keeps worker threads for the curve: leave explicitly or node never exits.
  process.exit(0);
}

main();
