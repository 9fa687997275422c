#!/usr/bin/env python3
"""Writes the data-file task "first symbol equals last symbol" (train.txt,
test.txt): strings of 6 symbols from a..d, then '=', then T or F. Balanced:
every string whose first and last symbols agree (1,024) and as many others,
drawn with a fixed seed. A string is held out iff crc32(string) % 5 == 0.
Usage: python3 make_first_last.py [OUT_DIR]"""
import itertools, random, sys, zlib, os

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
header = "# first symbol equals last symbol (tests/data/file_task/make_first_last.py)\n" \
         "# vocab: a b c d = T F\n# loss: after =\n"
strings = [" ".join(s) for s in itertools.product("abcd", repeat=6)]
same = [s for s in strings if s[0] == s[-1]]
other = [s for s in strings if s[0] != s[-1]]
random.Random(1).shuffle(other)
chosen = sorted(same + other[:len(same)])
rows = {"train": [], "test": []}
for s in chosen:
    split = "test" if zlib.crc32(s.encode()) % 5 == 0 else "train"
    rows[split].append(f"{s} = {'T' if s[0] == s[-1] else 'F'}")
for split, lines in rows.items():
    random.Random(2).shuffle(lines)
    with open(os.path.join(out, f"{split}.txt"), "w") as f:
        f.write(header + "\n".join(lines) + "\n")
    print(split, len(lines))
