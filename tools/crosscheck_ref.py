#!/usr/bin/python3
"""crosscheck_ref.py: the protocol answer (PROTOCOL.md sections 2 and 3) as
importlib.metadata computes it, for comparing epcache with Python itself.

usage: crosscheck_ref.py PATH...

For each path entry (index P), every distribution importlib.metadata finds
there (distributions(path=[entry])), D its directory name, and every entry
point of it: "P<TAB>D<TAB>G<TAB>N<TAB>V" lines, sorted bytewise. Only
well-formed trees are comparable: on a line without '=', or on invalid
UTF-8, importlib.metadata raises where the protocol skips.
"""
import importlib.metadata as metadata
import os
import sys


def main(argv):
    lines = []
    for index, entry in enumerate(argv):
        for dist in metadata.distributions(path=[entry]):
            name = dist._path.name  # the directory name: the protocol's D
            for ep in dist.entry_points:
                fields = (str(index), name, ep.group, ep.name, ep.value)
                lines.append("\t".join(fields).encode("utf-8", "surrogateescape"))
    lines.sort()
    out = sys.stdout.buffer
    for line in lines:
        out.write(line + b"\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main([os.fsdecode(a) for a in sys.argv[1:]]))
