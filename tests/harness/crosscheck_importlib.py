"""crosscheck_importlib.py: the answer of PROTOCOL.md section 2, computed with importlib.metadata.

usage: python3 -I -S crosscheck_importlib.py PATH-ENTRY...

check_oracle runs it on well-formed trees and compares what it prints with
oracle_answer() byte for byte, so that the harness's own parser is checked
against the implementation the protocol describes. It walks distributions one
path entry at a time and reads each distribution's entry points itself:
importlib.metadata.entry_points() de-duplicates distributions by name, which
the protocol (every path entry, every metadata directory) does not.
"""
import os
import sys
from importlib import metadata


def answer_lines(entries):
    lines = []
    for index, entry in enumerate(entries):
        # Files and zip archives contribute nothing in the protocol, where
        # importlib.metadata would look inside a zip.
        if not os.path.isdir(entry):
            continue
        for dist in metadata.distributions(path=[entry]):
            # _path is the metadata directory: the protocol's D is its name.
            d = dist._path.name
            for ep in dist.entry_points:
                line = f"{index}\t{d}\t{ep.group}\t{ep.name}\t{ep.value}"
                lines.append(line.encode("utf-8", "surrogateescape"))
    # Bytewise, LF not part of the key: as LC_ALL=C sort orders lines.
    lines.sort()
    return lines


def main(argv):
    out = sys.stdout.buffer
    for line in answer_lines(argv[1:]):
        out.write(line + b"\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
