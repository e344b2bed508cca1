#!/usr/bin/env python3
"""importlib_metadata.py: Python's own importlib.metadata behind the
cachetorture protocol (harness/PROTOCOL.md). It never caches: every query
scans, so it is a correct peer for every check except I4.

It is also the example of how to put your own implementation under test:

    build/cachetorture run \\
        --impl '/usr/bin/python3 harness/adapters/importlib_metadata.py'

The harness appends the path entries to these words; the answer goes to
standard output, one line per entry point, P<TAB>D<TAB>G<TAB>N<TAB>V, sorted
bytewise. Anything else goes to standard error.

Note: importlib.metadata.entry_points() drops distributions whose names repeat
across path entries (its _unique()); the protocol keeps every one, so this
adapter asks each path entry for its own distributions.
"""
import importlib.metadata
import os
import sys


def answer(entries):
    lines = []
    for index, entry in enumerate(entries):
        # Missing entries, files and zip archives contribute nothing.
        if not os.path.isdir(entry):
            continue
        for dist in importlib.metadata.distributions(path=[entry]):
            name = dist._path.name  # the metadata directory
            for ep in dist.entry_points:
                line = "\t".join((str(index), name, ep.group, ep.name, ep.value))
                lines.append(line.encode("utf-8", "surrogateescape"))
    lines.sort()
    return b"".join(line + b"\n" for line in lines)


def main(argv):
    try:
        out = answer(argv[1:])
    except Exception as exc:  # a query that cannot answer must say so
        print(f"importlib_metadata.py: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
