#!/usr/bin/env node
// A native-compatible `solc` command backed by the npm `solc` (soljson) compiler, so that
// ape-solidity (py-solc-x) and forge compile with no downloaded binary.
//
// Why not the npm package's own `solcjs`: it prints a banner before its JSON, rejects
// `--allow-paths`, and its version string is not the native two-line format py-solc-x parses.
// Output is written synchronously: asynchronous stdout writes were seen to stop at 128 KiB.
"use strict";

const fs = require("fs");
const path = require("path");

const solc = require(require.resolve("solc", { paths: [path.join(__dirname, "..")] }));

const USAGE = `solc, the solidity compiler commandline interface (soljson wrapper of zkfed)

Usage: solc [options] [input_file...]

Supported options:
  --help                 Show this help and exit.
  --version              Show the version and exit.
  --standard-json [file] Standard JSON input (from stdin or file) to standard JSON output.
  --combined-json keys   Output abi,bin,bin-runtime,metadata,hashes,... as one JSON.
  --base-path <path>     Root the import callback resolves paths against.
  --include-path <path>  Extra source root (repeatable).
  --allow-paths <paths>  Accepted for compatibility; reads are limited to the roots above.
  --optimize             Enable the optimizer (with --combined-json).
  --optimize-runs <n>    Optimizer runs (with --combined-json).
  --evm-version <v>      EVM version (with --combined-json).
  prefix=path            Import remapping (with --combined-json).
`;

function write(fd, text) {
  const buffer = Buffer.from(text, "utf8");
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
    }
  }
}

function fail(message) {
  write(2, `Error: ${message}\n`);
  process.exit(1);
}

function nativeVersion() {
  // soljson reports "0.8.28+commit.7893614a.Emscripten.clang"; py-solc-x only needs the
  // "<semver>+commit.<hash>" part after "Version: ".
  return solc.version().replace(/\.Emscripten\.clang$/, ".Linux.g++");
}

function parseArgs(argv) {
  const options = { includePaths: [], remappings: [], files: [] };
  const takesValue = new Set([
    "--base-path", "--include-path", "--allow-paths", "--combined-json",
    "--optimize-runs", "--evm-version", "--output-dir", "-o",
  ]);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    if (arg.startsWith("--") && arg.includes("=")) {
      [arg, value] = [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)];
    } else if (takesValue.has(arg)) {
      if (i + 1 >= argv.length) fail(`option ${arg} needs a value`);
      value = argv[++i];
    }
    switch (arg) {
      case "--help": options.help = true; break;
      case "--version": options.version = true; break;
      case "--standard-json": options.standardJson = true; break;
      case "--optimize": options.optimize = true; break;
      case "--no-color": case "--pretty-json": break;
      case "--base-path": options.basePath = value; break;
      case "--include-path": options.includePaths.push(value); break;
      case "--allow-paths": break;
      case "--combined-json": options.combinedJson = value.split(","); break;
      case "--optimize-runs": options.optimizeRuns = Number(value); break;
      case "--evm-version": options.evmVersion = value; break;
      default:
        if (arg.startsWith("-")) fail(`unrecognised option ${arg}`);
        if (arg.includes("=")) options.remappings.push(arg);
        else options.files.push(arg);
    }
  }
  return options;
}

function importCallback(options, given = new Map()) {
  const roots = [options.basePath || "", ...options.includePaths, process.cwd()];
  return (sourcePath) => {
    if (given.has(sourcePath)) return { contents: given.get(sourcePath) };
    const candidates = path.isAbsolute(sourcePath)
      ? [sourcePath]
      : roots.map((root) => path.resolve(root || ".", sourcePath));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, "utf8") };
      }
    }
    return { error: `File not found: ${sourcePath}` };
  };
}

function standardJson(options) {
  const source = options.files.length ? options.files[0] : 0;
  let input;
  try {
    input = fs.readFileSync(source, "utf8");
  } catch (error) {
    fail(`cannot read standard JSON input: ${error.message}`);
  }
  // soljson copies its string argument onto the wasm stack (4 bytes per character, a few MB
  // in all), so a large project's input would overflow it ("memory access out of bounds").
  // Sources therefore go in by name and come back through the import callback, on the heap.
  let parsed;
  try {
    parsed = JSON.parse(input);
  } catch (error) {
    fail(`the standard JSON input is not JSON: ${error.message}`);
  }
  const given = new Map();
  for (const [name, source] of Object.entries(parsed.sources || {})) {
    if (typeof source.content === "string") {
      given.set(name, source.content);
      delete source.content;
      source.urls = [name];
    }
  }
  write(1, solc.compile(JSON.stringify(parsed), { import: importCallback(options, given) }));
}

const COMBINED_KEYS = {
  abi: (c) => c.abi,
  bin: (c) => c.evm.bytecode.object,
  "bin-runtime": (c) => c.evm.deployedBytecode.object,
  metadata: (c) => c.metadata,
  hashes: (c) => c.evm.methodIdentifiers,
  userdoc: (c) => c.userdoc,
  devdoc: (c) => c.devdoc,
  "srcmap": (c) => c.evm.bytecode.sourceMap,
  "srcmap-runtime": (c) => c.evm.deployedBytecode.sourceMap,
};

function combinedJson(options) {
  if (!options.files.length) fail("no input files given");
  const unknown = options.combinedJson.filter((key) => !(key in COMBINED_KEYS));
  if (unknown.length) fail(`unsupported --combined-json keys: ${unknown.join(",")}`);
  const sources = {};
  for (const file of options.files) {
    sources[file] = { content: fs.readFileSync(file, "utf8") };
  }
  const settings = {
    optimizer: { enabled: Boolean(options.optimize), runs: options.optimizeRuns || 200 },
    remappings: options.remappings,
    outputSelection: { "*": { "*": ["abi", "evm.bytecode", "evm.deployedBytecode",
      "evm.methodIdentifiers", "metadata", "userdoc", "devdoc"] } },
  };
  if (options.evmVersion) settings.evmVersion = options.evmVersion;
  const output = JSON.parse(solc.compile(
    JSON.stringify({ language: "Solidity", sources, settings }),
    { import: importCallback(options) },
  ));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const message of output.errors || []) write(2, `${message.formattedMessage}\n`);
  if (errors.length) process.exit(1);
  const contracts = {};
  for (const [file, byName] of Object.entries(output.contracts || {})) {
    for (const [name, contract] of Object.entries(byName)) {
      const entry = {};
      for (const key of options.combinedJson) entry[key] = COMBINED_KEYS[key](contract);
      contracts[`${file}:${name}`] = entry;
    }
  }
  write(1, JSON.stringify({ contracts, version: nativeVersion() }) + "\n");
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    write(1, USAGE);
  } else if (options.version) {
    write(1, `solc, the solidity compiler commandline interface\nVersion: ${nativeVersion()}\n`);
  } else if (options.standardJson) {
    standardJson(options);
  } else if (options.combinedJson) {
    combinedJson(options);
  } else {
    fail("nothing to do: use --standard-json, --combined-json, --version or --help");
  }
  process.exit(0);
}

main();
