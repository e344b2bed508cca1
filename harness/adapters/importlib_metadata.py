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

With --reduced as its first argument it answers the reduced view instead
(distinct GROUP<TAB>NAME<TAB>VALUE lines), for `cachetorture run --view
reduced`: what a cache that keeps only what callers ask for would print.

Note: importlib.metadata.entry_points() drops distributions whose names repeat
across path entries (its _unique()); the protocol keeps every one, so this
adapter asks each path entry for its own distributions.
"""
import importlib.metadata
import os
import sys


def answer(entries, reduced=False):
    lines = []
    for index, entry in enumerate(entries):
        # Missing entries, files and zip archives contribute nothing.
        if not os.path.isdir(entry):
            continue
        for dist in importlib.metadata.distributions(path=[entry]):
            name = dist._path.name  # the metadata directory
            for ep in dist.entry_points:
                fields = (ep.group, ep.name, ep.value)
                if not reduced:
                    fields = (str(index), name) + fields
                lines.append("\t".join(fields).encode("utf-8", "surrogateescape"))
    lines = sorted(set(lines)) if reduced else sorted(lines)
    return b"".join(line + b"\n" for line in lines)


def main(argv):
    reduced = len(argv) > 1 and argv[1] == "--reduced"
    try:
        out = answer(argv[2:] if reduced else argv[1:], reduced)
    except Exception as exc:  # a query that cannot answer must say so
        print(f"importlib_metadata.py: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
