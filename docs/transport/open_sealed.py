#!/usr/bin/env python3
"""Open a sealed share (docs/FORMAT.md section 10) with PyNaCl, not with smk.

A witness's independent check of the format: given the facility's X25519 private
key (64 hex digits in a file; in a real restore it never leaves smk's memory, so
this is for tests and drills only) and a sealed share in its text form, print
every field and the card share record (section 4) in hex.

  open_sealed.py --private-key-file KEY.hex [--context TEXT] SEALED.txt

With --sha256 instead of a key it only prints the SHA-256 of the sealed bytes the
words encode (the `sealed` digest smk's transcript records for a sealed share),
which the holder and any witness can check without the key:

  open_sealed.py --sha256 SEALED.txt
"""
import argparse
import hashlib
import pathlib
import sys

from nacl.public import PrivateKey, SealedBox

HEADER = "smk-sealed-share-v1"
WORDLIST = pathlib.Path(__file__).resolve().parents[2] / "vectors" / "pgp" / "wordlist.txt"


def load_words(path):
    even, odd = {}, {}
    for line in pathlib.Path(path).read_text().split("\n"):
        if line.strip():
            value, e, o = line.split()
            even[e.lower()] = int(value, 16)
            odd[o.lower()] = int(value, 16)
    return even, odd


def bytes_of_text(text, header, wordlist):
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines or lines[0] != header:
        sys.exit(f"the first line is not {header}")
    even, odd = load_words(wordlist)
    words = " ".join(lines[1:]).split()
    out = bytearray()
    for i, word in enumerate(words):
        table = even if i % 2 == 0 else odd
        if word.lower() not in table:
            sys.exit(f"word {i + 1} ({word}) is not a PGP word for its position")
        out.append(table[word.lower()])
    data, check = bytes(out[:-2]), bytes(out[-2:])
    if hashlib.sha256(data).digest()[:2] != check:
        sys.exit("the check words do not match")
    return data


def main():
    parser = argparse.ArgumentParser()
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--private-key-file")
    which.add_argument("--sha256", action="store_true")
    parser.add_argument("--context")
    parser.add_argument("--wordlist", default=WORDLIST)
    parser.add_argument("sealed")
    args = parser.parse_args()

    sealed = bytes_of_text(pathlib.Path(args.sealed).read_text(), HEADER, args.wordlist)
    if args.sha256:
        print(hashlib.sha256(sealed).hexdigest())
        return
    key = PrivateKey(bytes.fromhex(pathlib.Path(args.private_key_file).read_text().strip()))
    plain = SealedBox(key).decrypt(sealed)  # crypto_box_seal_open

    magic, version = plain[0:4], plain[4]
    fingerprint, identifier = plain[5:13], int.from_bytes(plain[13:15], "big")
    context_hash, record = plain[15:23], plain[23:]
    public_key = bytes(key.public_key)
    print(f"sealed_bytes: {len(sealed)}")
    print(f"magic: {magic.decode('ascii', 'replace')}")
    print(f"version: {version}")
    print(f"facility_public_key: {public_key.hex()}")
    print(f"fingerprint: {fingerprint.hex()}")
    print(f"fingerprint_matches_key: {fingerprint == hashlib.sha256(public_key).digest()[:8]}")
    print(f"identifier: {identifier}")
    print(f"context_hash: {context_hash.hex()}")
    if args.context is not None:
        expected = hashlib.sha256(args.context.encode("utf-8")).digest()[:8]
        print(f"context_matches: {context_hash == expected}")
    # The card share record (section 4): header, share, 4-byte check.
    print(f"record_magic: {record[0:3].decode('ascii', 'replace')}")
    print(f"record_identifier: {int.from_bytes(record[5:7], 'big')}")
    print(f"record_set: {chr(ord('A') + record[8])}")
    print(f"record_index: {record[11] + 1}")
    print(f"record_check_ok: {hashlib.sha256(record[:-4]).digest()[:4] == record[-4:]}")
    print(f"record_hex: {record.hex()}")


if __name__ == "__main__":
    main()
