#!/usr/bin/env python3
"""Make a sealed share (docs/FORMAT.md section 10) with PyNaCl, not with smk.

A witness's independent check that smk accepts what the format says: from a card
share record (section 4, hex in a file), the facility's public key (its words
file, smk-facility-key-v1, or 64 hex digits), the share set identifier and the
ceremony context, write the sealed share's text form to stdout.

  seal_share.py --record-file RECORD.hex --to FACILITY_KEY.txt --identifier N \
      --context TEXT > sealed.txt
"""
import argparse
import hashlib
import pathlib

from nacl.public import PublicKey, SealedBox

from open_sealed import WORDLIST, bytes_of_text, load_words


def text_of(header, data, wordlist):
    even, odd = load_words(wordlist)
    words_of = [{v: w for w, v in even.items()}, {v: w for w, v in odd.items()}]
    data = data + hashlib.sha256(data).digest()[:2]
    words = [words_of[i % 2][b] for i, b in enumerate(data)]
    lines = [" ".join(words[i:i + 8]) for i in range(0, len(words), 8)]
    return header + "\n" + "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--record-file", required=True)
    parser.add_argument("--to", required=True)
    parser.add_argument("--identifier", type=int, required=True)
    parser.add_argument("--context", required=True)
    parser.add_argument("--wordlist", default=WORDLIST)
    args = parser.parse_args()

    key_text = pathlib.Path(args.to).read_text()
    if key_text.strip().startswith("smk-facility-key-v1"):
        public_key = bytes_of_text(key_text, "smk-facility-key-v1", args.wordlist)
    else:
        public_key = bytes.fromhex(key_text.strip())
    record = bytes.fromhex(pathlib.Path(args.record_file).read_text().strip())
    plain = (b"SMKT" + bytes([1]) + hashlib.sha256(public_key).digest()[:8]
             + args.identifier.to_bytes(2, "big")
             + hashlib.sha256(args.context.encode("utf-8")).digest()[:8] + record)
    sealed = SealedBox(PublicKey(public_key)).encrypt(plain)  # crypto_box_seal
    print(text_of("smk-sealed-share-v1", bytes(sealed), args.wordlist), end="")


if __name__ == "__main__":
    main()
