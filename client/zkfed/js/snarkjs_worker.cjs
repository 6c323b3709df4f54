#!/usr/bin/env node
// A long-lived snarkjs worker: one JSON request per stdin line, one JSON answer per stdout line.
// Keeping one process alive saves node start-up and curve set-up (~1 s) on every chunk, and it
// keeps each circuit's compiled witness calculator and proving key in memory between proofs
// (snarkjs' fullProve would read and compile both again: ~0.25 s of a 3 s default-variant proof).
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

// Artifacts by path, dropped when the file changes (a re-run set-up rewrites them).
const calculators = new Map();
const provingKeys = new Map();

function version(path) {
  const stat = fs.statSync(path);
  return `${stat.size}:${stat.mtimeMs}`;
}

async function cached(cache, path, load) {
  const current = version(path);
  const entry = cache.get(path);
  if (entry && entry.version === current) return entry.value;
  const value = await load(fs.readFileSync(path));
  cache.set(path, { version: current, value });
  return value;
}

const calculator = (wasm) => cached(calculators, wasm, (bytes) => WitnessCalculatorBuilder(bytes));
const provingKey = (zkey) => cached(provingKeys, zkey, async (bytes) => new Uint8Array(bytes));

function answer(message) {
  // Synchronous writes: a large answer must not be cut when the process exits.
  fs.writeSync(1, JSON.stringify(message) + "\n");
}

async function handle(request) {
  if (request.op === "prove") {
    const started = process.hrtime.bigint();
    const wc = await calculator(request.wasm);
    const wtns = await wc.calculateWTNSBin(utils.unstringifyBigInts(request.input), true);
    const { proof, publicSignals } = await snarkjs.groth16.prove(
      { type: "mem", data: await provingKey(request.zkey) }, { type: "mem", data: wtns },
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
