// Reference oracle for tests/crypto: answers a batch of requests with circomlibjs.
//
// Run with cwd = the repository root (so `circomlibjs` resolves to ./node_modules):
//   node tests/crypto/reference.mjs < request.json
// stdin:  {"requests": [{"op": "...", ...}, ...]}   (field elements as decimal strings)
// stdout: {"results": [...]}, one result per request, field elements as decimal strings.
// One process answers many requests because building Poseidon costs about a second.
import { buildBabyjub, buildPoseidon, buildPoseidonReference } from "circomlibjs";

const readStdin = async () => {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
};

const main = async () => {
  const { requests } = JSON.parse(await readStdin());
  const poseidon = await buildPoseidon();
  const poseidonReference = await buildPoseidonReference();
  const babyjub = await buildBabyjub();
  const F = poseidon.F;
  const BF = babyjub.F;

  const str = (x) => F.toObject(x).toString();
  const point = (p) => [BF.e(p[0]), BF.e(p[1])];
  const pointOut = (p) => [BF.toObject(p[0]).toString(), BF.toObject(p[1]).toString()];
  const hash = (fn, inputs, initState, nOut) => {
    const out = fn(inputs.map(BigInt), initState === undefined ? undefined : BigInt(initState), nOut);
    return nOut && nOut > 1 ? out.map(str) : [str(out)];
  };
  // Block b of the sponge PRG in circuits/README.md: rate outputs 1..16 of PoseidonEx(16, 17)
  // on the state [0, seed, b, 0, ..., 0].
  const prgWords = (seed, nWords) => {
    const words = [];
    for (let b = 0; words.length < nWords; b++) {
      const inputs = [BigInt(seed), BigInt(b), ...Array(14).fill(0n)];
      words.push(...poseidon(inputs, 0n, 17).slice(1).map(str));
    }
    return words.slice(0, nWords);
  };
  // Seed of the pair (sk, otherSk): Poseidon4((sk·(otherSk·Base8)).x, task, round, chunk).
  const seed = (sk, otherSk, task, round, chunk) => {
    const otherPk = babyjub.mulPointEscalar(babyjub.Base8, BigInt(otherSk));
    const shared = babyjub.mulPointEscalar(otherPk, BigInt(sk));
    return str(poseidon([BF.toObject(shared[0]), BigInt(task), BigInt(round), BigInt(chunk)]));
  };

  // Commitment of the pair (sk, otherSk) for a task: Poseidon2((sk·(otherSk·Base8)).x, task).
  const commitment = (sk, otherSk, task) => {
    const otherPk = babyjub.mulPointEscalar(babyjub.Base8, BigInt(otherSk));
    const shared = babyjub.mulPointEscalar(otherPk, BigInt(sk));
    return str(poseidon([BF.toObject(shared[0]), BigInt(task)]));
  };

  const handlers = {
    poseidon: (r) => hash(poseidon, r.inputs, r.initState, r.nOut),
    poseidonReference: (r) => hash(poseidonReference, r.inputs, r.initState, r.nOut),
    base8: () => pointOut(babyjub.Base8),
    constants: () => ({
      order: babyjub.order.toString(),
      subOrder: babyjub.subOrder.toString(),
      A: BF.toObject(babyjub.A).toString(),
      D: BF.toObject(babyjub.D).toString(),
    }),
    addPoint: (r) => pointOut(babyjub.addPoint(point(r.a), point(r.b))),
    mulPointEscalar: (r) => pointOut(babyjub.mulPointEscalar(point(r.point), BigInt(r.scalar))),
    inCurve: (r) => babyjub.inCurve(point(r.point)),
    inSubgroup: (r) => babyjub.inSubgroup(point(r.point)),
    seed: (r) => seed(r.sk, r.otherSk, r.task, r.round, r.chunk),
    commitment: (r) => commitment(r.sk, r.otherSk, r.task),
    prgWords: (r) => prgWords(r.seed, r.nWords),
  };

  const results = requests.map((r) => {
    const handler = handlers[r.op];
    if (!handler) throw new Error(`unknown op ${r.op}`);
    return handler(r);
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
