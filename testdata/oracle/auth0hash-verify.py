#!/usr/bin/env python3
"""Independent verifier for Auth0 custom_password_hash objects (oracle for auth0hash tests).

Reads NDJSON on stdin, one {"password": str, "custom_password_hash": {...}} per line, and
prints one line per case: "ok" (password matches), "fail" (does not match) or "error <reason>"
(the object cannot be used). Implements Auth0's documented bulk-import semantics
(research auth0-target.md §1.4-1.6) without sharing any code with the Go implementation.

Run with Debian's python (PYENV_VERSION=system python3); needs python3-bcrypt,
python3-passlib (md4) and python3-argon2.
"""
import base64
import binascii
import hashlib
import hmac
import json
import sys

import bcrypt
from argon2 import low_level
from passlib.crypto._md4 import md4 as passlib_md4


class Unusable(Exception):
    pass


def new_digest(name):
    name = name.lower()
    if name.startswith("rsa-"):
        name = name[4:]
    if name == "md4":
        return passlib_md4
    if name in ("rmd160", "ripemd", "ripemd-160"):
        name = "ripemd160"
    if name in ("sha512-224", "sha512-256"):
        name = name.replace("-", "_")
    try:
        hashlib.new(name)
    except ValueError:
        raise Unusable("digest " + name)
    return lambda data=b"": hashlib.new(name, data)


def b64(s):
    s = s.rstrip("=").replace("-", "+").replace("_", "/")
    s += "=" * (-len(s) % 4)
    return base64.b64decode(s, validate=True)


def decode(value, enc):
    if enc in (None, "utf8"):
        return value.encode("utf-8")
    if enc == "hex":
        return binascii.unhexlify(value)
    if enc == "base64":
        return b64(value)
    raise Unusable("encoding " + str(enc))


def encode_password(pw, enc):
    """Returns bytes, or None when the password cannot be represented (never matches)."""
    if enc in (None, "utf8"):
        return pw.encode("utf-8")
    if enc in ("utf16le", "ucs2"):
        return pw.encode("utf-16-le")
    if enc in ("latin1", "binary", "ascii"):
        try:
            return pw.encode("latin-1")
        except UnicodeEncodeError:
            return None
    raise Unusable("password encoding " + enc)


def salted(p, salt):
    if not salt:
        return p
    s = decode(salt["value"], salt.get("encoding"))
    pos = salt.get("position", "prefix")
    if pos == "prefix":
        return s + p
    if pos == "suffix":
        return p + s
    raise Unusable("position")


def pbkdf2(digest, password, salt, iterations, length):
    # Written out (RFC 8018 §5.2) so md4, which hashlib lacks, works too.
    size = len(digest().digest())
    out = b""
    block = 1
    while len(out) < length:
        u = hmac.new(password, salt + block.to_bytes(4, "big"), digest).digest()
        t = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            u = hmac.new(password, u, digest).digest()
            t ^= int.from_bytes(u, "big")
        out += t.to_bytes(size, "big")
        block += 1
    return out[:length]


LDAP = {"MD5": ("md5", 0), "SMD5": ("md5", 1), "SHA": ("sha1", 0), "SSHA": ("sha1", 1),
        "SHA256": ("sha256", 0), "SSHA256": ("sha256", 1), "SHA384": ("sha384", 0),
        "SSHA384": ("sha384", 1), "SHA512": ("sha512", 0), "SSHA512": ("sha512", 1)}


def verify(password, c):
    alg = c["algorithm"]
    h = c["hash"]
    p = encode_password(password, (c.get("password") or {}).get("encoding"))
    if p is None:
        return False
    if alg in ("md4", "md5", "sha1", "sha256", "sha512"):
        want = decode(h["value"], h["encoding"])
        return hmac.compare_digest(new_digest(alg)(salted(p, c.get("salt"))).digest(), want)
    if alg == "hmac":
        key = decode(h["key"]["value"], h["key"].get("encoding"))
        want = decode(h["value"], h["encoding"])
        return hmac.compare_digest(hmac.new(key, p, new_digest(h["digest"])).digest(), want)
    if alg == "scrypt":
        s = c.get("salt")
        salt = decode(s["value"], s.get("encoding")) if s else b""
        n, r, par = c.get("cost", 16384), c.get("blockSize", 8), c.get("parallelization", 1)
        got = hashlib.scrypt(p, salt=salt, n=n, r=r, p=par, dklen=c["keylen"],
                             maxmem=256 * 1024 * 1024 + 1024 * 1024)
        return hmac.compare_digest(got, decode(h["value"], h["encoding"]))
    if alg == "bcrypt":
        v = h["value"]
        if v[:4] not in ("$2a$", "$2b$", "$2y$"):
            raise Unusable("bcrypt prefix")
        data = salted(p, c.get("salt"))[:72]
        return bcrypt.checkpw(data, ("$2b$" + v[4:]).encode())
    if alg == "argon2":
        v = h["value"]
        if v.startswith("$argon2id$"):
            t = low_level.Type.ID
        elif v.startswith("$argon2i$"):
            t = low_level.Type.I
        else:
            raise Unusable("argon2 variant")
        try:
            return low_level.verify_secret(v.encode(), p, t)
        except Exception as e:  # argon2.exceptions.VerifyMismatchError / VerificationError
            if type(e).__name__ == "VerifyMismatchError":
                return False
            raise
    if alg == "pbkdf2":
        parts = h["value"].split("$")
        if len(parts) == 5:
            params, salt, want = parts[2], parts[3], parts[4]
        else:
            params, salt, want = "", parts[2], parts[3]
        if not parts[1].lower().startswith("pbkdf2-"):
            raise Unusable("pbkdf2 id")
        kv = dict(x.split("=") for x in params.split(",") if x)
        it, length = int(kv.get("i", 100000)), int(kv.get("l", 64))
        want = b64(want)
        dname = parts[1][7:].lower()
        try:
            got = hashlib.pbkdf2_hmac(dname[4:] if dname.startswith("rsa-") else dname,
                                      p, b64(salt), it, length)
        except ValueError:  # md4 (and anything else OpenSSL 3 hides): the RFC loop
            got = pbkdf2(new_digest(dname), p, b64(salt), it, length)
        return hmac.compare_digest(got, want)
    if alg == "ldap":
        v = h["value"]
        scheme, rest = v[1:].split("}", 1)
        name, is_salted = LDAP[scheme.upper()]
        raw = b64(rest)
        n = len(new_digest(name)().digest())
        digest, salt = raw[:n], raw[n:]
        if not is_salted and salt:
            raise Unusable("ldap length")
        return hmac.compare_digest(new_digest(name)(p + salt).digest(), digest)
    raise Unusable("algorithm " + alg)


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        try:
            out = "ok" if verify(case["password"], case["custom_password_hash"]) else "fail"
        except Exception as e:  # noqa: BLE001 - reported per case
            out = "error " + type(e).__name__ + ": " + str(e).replace("\n", " ")
        print(out, flush=True)


if __name__ == "__main__":
    main()
