// circomlibjs oracle for the circuit tests: the values valid PairCommit / MaskedUpdate /
// KeyPossession / MaskReveal / EscrowPad / SeedMask inputs need, computed independently of the
// Python client.
//
// Run with cwd = the repository root (so `circomlibjs` resolves to ./node_modules):
//   node tests/circuits/reference.mjs < request.json
// stdin:  {"requests": [{"op": "...", ...}, ...]}   (field elements as decimal strings)
// stdout: {"results": [...]}, one result per request, field elements as decimal strings.
//
// ops: publicKey {sk} -> [x, y]                                   sk·Base8
//      pair {sk, neighborSk, task, round, chunk, words}
//        -> {secret, commitment, seed, words}   secret = (sk·pk_j).x with pk_j = neighborSk·Base8,
//                                               then as `opening` of that secret
//      poseidon {inputs} -> hash                 circomlib Poseidon(len(inputs)): the escrow's
//                                               pads (5 inputs) and dealt shares (6 inputs)
//      prg {seed, words} -> [word, ...]           the first `words` PRG words of a seed
//      opening {secret, task, round, chunk, words}
//        -> {commitment, seed, words}           commitment = Poseidon2(secret, task);
//                                               seed = Poseidon4(secret, task, round, chunk);
//                                               words[w] = rate output w mod 16 (of 1..16) of
//                                               PoseidonEx(16, 17) on [0, seed, w div 16, 0, ..., 0]
import { buildBabyjub, buildPoseidon } from "circomlibjs";

const PRG_RATE = 16;

const readStdin = async () => {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
};

const main = async () => {
  const { requests } = JSON.parse(await readStdin());
  const poseidon = await buildPoseidon();
  const babyjub = await buildBabyjub();
  const F = poseidon.F;
  const BF = babyjub.F;

  const str = (x) => F.toObject(x).toString();
  const pointOut = (p) => [BF.toObject(p[0]).toString(), BF.toObject(p[1]).toString()];
  const publicKey = (sk) => babyjub.mulPointEscalar(babyjub.Base8, BigInt(sk));
  const prg = (seed, words) => {
    const out = [];
    for (let b = 0; out.length < words; b++) {
      const absorbed = [seed, BigInt(b), ...Array(PRG_RATE - 2).fill(0n)];
      const state = poseidon(absorbed, 0n, PRG_RATE + 1);
      out.push(...state.slice(1).map(str));
    }
    return out.slice(0, words);
  };
  const opening = ({ secret, task, round, chunk, words }) => {
    const s = BigInt(secret);
    const seed = poseidon([s, BigInt(task), BigInt(round), BigInt(chunk)]);
    return {
      commitment: str(poseidon([s, BigInt(task)])),
      seed: str(seed),
      words: prg(F.toObject(seed), Number(words ?? 0)),
    };
  };

  const handlers = {
    publicKey: ({ sk }) => pointOut(publicKey(sk)),
    pair: ({ sk, neighborSk, ...context }) => {
      const shared = babyjub.mulPointEscalar(publicKey(neighborSk), BigInt(sk));
      const secret = BF.toObject(shared[0]).toString();
      return { secret, ...opening({ secret, ...context }) };
    },
    opening,
    poseidon: ({ inputs }) => str(poseidon(inputs.map(BigInt))),
    prg: ({ seed, words }) => prg(BigInt(seed), Number(words)),
  };

  const results = requests.map((request) => {
    const handler = handlers[request.op];
    if (!handler) throw new Error(`unknown op ${request.op}`);
    return handler(request);
  });
  process.stdout.write(JSON.stringify({ results }));
};

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  },
);
