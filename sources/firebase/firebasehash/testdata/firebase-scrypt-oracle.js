// Independent implementation of Firebase Authentication's modified scrypt (github.com/firebase/scrypt
// main.c, scryptenc.c, crypto_aesctr.c) on Node's crypto module, which shares no code with the Go
// implementation under test:
//
//   dk   = scrypt(password, b64dec(salt) || b64dec(saltSeparator), N = 2^memoryCost, r = rounds, p = 1, 64)
//   hash = AES-256-CTR(key = dk[0:32], iv = 16 zero bytes).update(b64dec(signerKey))
//
// Reads one JSON object per line on stdin ({"password_hex", "salt", "saltSeparator", "signerKey",
// "rounds", "memoryCost"}, base64 values) and prints the base64 hash of each, one per line.
"use strict";
const crypto = require("crypto");
const lines = require("fs").readFileSync(0, "utf8").split("\n").filter((l) => l.trim() !== "");
for (const line of lines) {
  const c = JSON.parse(line);
  const N = 2 ** c.memoryCost;
  const salt = Buffer.concat([Buffer.from(c.salt, "base64"), Buffer.from(c.saltSeparator, "base64")]);
  const dk = crypto.scryptSync(Buffer.from(c.password_hex, "hex"), salt, 64, { N, r: c.rounds, p: 1, maxmem: 256 * N * c.rounds + (1 << 20) });
  const cipher = crypto.createCipheriv("aes-256-ctr", dk.subarray(0, 32), Buffer.alloc(16, 0));
  const out = Buffer.concat([cipher.update(Buffer.from(c.signerKey, "base64")), cipher.final()]);
  process.stdout.write(out.toString("base64") + "\n");
}
