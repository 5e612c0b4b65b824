// Produces vectors/slip39_2x5of7.json with an implementation independent of smk:
// slip39-js (npm package "slip39", 0.1.9), fed the same random stream smk's
// DeterministicRandom gives (ChaCha20-IETF keystream, key = seed, nonce 0,
// counter 0). tests/sss/test_slip39_vectors.cpp regenerates the split with smk
// and compares byte for byte.
//
// slip39-js draws a split's random part before its random shares; the reference
// (python-shamir-mnemonic) and smk draw the random shares first. The stream below
// hands slip39-js the reference's bytes for each request, so both produce the
// reference's mnemonics. Nothing else of slip39-js is changed.
//
// Run (needs network access to the npm registry once):
//   npm install --prefix /tmp/slip39js slip39@0.1.9
//   NODE_PATH=/tmp/slip39js/node_modules node vectors/make_slip39_2x5of7.js \
//       > vectors/slip39_2x5of7.json
"use strict";

const crypto = require("crypto");

const SEED = Buffer.alloc(32, 0x5a);
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const GROUPS = [
  [5, 7],
  [5, 7],
];
const ITERATION_EXPONENT = 1;

// ChaCha20-IETF keystream; OpenSSL's 16-byte IV is the 32-bit counter (LE) || nonce.
const keystream = (() => {
  const cipher = crypto.createCipheriv("chacha20", SEED, Buffer.alloc(16));
  return (n) => cipher.update(Buffer.alloc(n));
})();

// Serves slip39-js's requests in the reference's order. Per member split of
// threshold t over L bytes, the reference draws (t - 2) shares of L bytes and then
// the random part (L - 4 bytes); slip39-js asks for the random part first.
const pendingShares = [];
let calls = 0;
crypto.randomBytes = (n) => {
  calls += 1;
  if (calls === 1) {
    if (n !== 2) throw new Error("expected the identifier first");
    return keystream(2);
  }
  if (n === KEY.length - 4) {
    if (pendingShares.length !== 0) throw new Error("unexpected request order");
    for (let i = 0; i < GROUPS[0][0] - 2; i++) pendingShares.push(keystream(KEY.length));
    return keystream(n);
  }
  if (n === KEY.length && pendingShares.length > 0) return pendingShares.shift();
  throw new Error(`unexpected random request of ${n} bytes`);
};

const Slip39 = require("slip39");

const slip = Slip39.fromArray(Array.from(KEY), {
  passphrase: "",
  threshold: 1,
  groups: GROUPS,
  iterationExponent: ITERATION_EXPONENT,
  extendableBackupFlag: 1,
});
const mnemonics = GROUPS.map((_, g) => slip.fromPath(`r/${g}`).mnemonics);
const identifierBytes = slip.identifier;
const identifier = (identifierBytes[0] << 8) | identifierBytes[1];

// Independent recombination: each set from its first 5 and last 5 shares.
for (const set of mnemonics) {
  for (const pick of [set.slice(0, 5), set.slice(2)]) {
    const recovered = Buffer.from(Slip39.recoverSecret(pick, ""));
    if (!recovered.equals(KEY)) throw new Error("slip39-js does not recover the key");
  }
}

const aes = crypto.createCipheriv("aes-256-ecb", KEY, null);
const kcv = aes.update(Buffer.alloc(16)).subarray(0, 3).toString("hex");

const out = {
  description:
    "smk default split (group threshold 1, two sets of 5-of-7, extendable, iteration exponent 1) " +
    "of the 32-byte key 00..1f with an empty passphrase, randomness from DeterministicRandom " +
    "(ChaCha20) seeded with 32 bytes of 0x5a.",
  note:
    "Produced by vectors/make_slip39_2x5of7.js with slip39-js 0.1.9 (npm 'slip39', an " +
    "implementation independent of smk) fed the same random stream in the reference " +
    "(python-shamir-mnemonic) draw order; slip39-js also recombined each set. smk's split " +
    "reproduces it byte for byte (tests/sss/test_slip39_vectors.cpp). Test data only: never " +
    "use this key.",
  master_secret_hex: KEY.toString("hex"),
  passphrase: "",
  seed_hex: SEED.toString("hex"),
  group_threshold: 1,
  groups: GROUPS,
  extendable: true,
  iteration_exponent: ITERATION_EXPONENT,
  identifier: identifier,
  kcv: kcv,
  mnemonics: mnemonics,
};
process.stdout.write(JSON.stringify(out, null, 2) + "\n");
