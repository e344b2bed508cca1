#!/usr/bin/env python3
"""importlib_metadata.py: Python's own importlib.metadata behind the
cachetorture protocol (harness/PROTOCOL.md). It never caches: every query
scans, so it is a correct peer for every check except I4. The only glue
besides the output format makes each answer one state's (see entry_lines):
without it importlib answers views that never existed under churn.

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

MAX_SCANS = 64


def entry_stamp(entry):
    """The path entry's stamp: any rename in or out of it changes this."""
    try:
        st = os.stat(entry)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


def forget_lookups():
    """importlib.metadata memoizes directory listings in-process, keyed by
    mtime; a rescan after a change that restored the mtime must not get the
    old listing back."""
    fast_path = getattr(importlib.metadata, "FastPath", None)
    for name in ("__new__", "lookup"):
        clear = getattr(getattr(fast_path, name, None), "cache_clear", None)
        if clear:
            clear()


def file_identity(path):
    """What changes whenever a file's content can have: ctime never repeats."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)


def entry_lines(index, entry, reduced):
    """One path entry's lines, as importlib.metadata reads them, from one state.

    importlib lists the directory and reads each entry_points.txt later; an
    upgrade landing in between (new version in, old one out) would give a view
    with neither, which never existed. So each round: list (importlib's own
    discovery) between two stamps of the entry, retrying the listing until the
    stamps agree; read the distributions not read yet; then check every file's
    identity again, after all reads. A round whose stamps and identities all
    held answers the state at the first identity check. What was read stays
    across rounds, so a retry reads only what changed and the rounds converge
    even when a full scan is slower than the changes."""
    known = {}  # metadata directory name -> (file identity, lines)
    lines = []
    for _ in range(MAX_SCANS):
        before = entry_stamp(entry)
        forget_lookups()
        # Missing entries, files and zip archives contribute nothing.
        dists = list(importlib.metadata.distributions(path=[entry])) if os.path.isdir(entry) else []
        if entry_stamp(entry) != before:
            continue  # the listing raced a rename: list again
        listed = {}
        for dist in dists:
            name = dist._path.name  # the metadata directory
            if name in known:
                listed[name] = known[name]
                continue
            ident = file_identity(os.path.join(entry, name, "entry_points.txt"))
            read = []
            for ep in dist.entry_points:
                fields = (ep.group, ep.name, ep.value)
                if not reduced:
                    fields = (str(index), name) + fields
                read.append("\t".join(fields).encode("utf-8", "surrogateescape"))
            listed[name] = (ident, read)
        # The second collect: every file as it was when read.
        known = {
            name: got
            for name, got in listed.items()
            if file_identity(os.path.join(entry, name, "entry_points.txt")) == got[0]
        }
        lines = [line for _, read in listed.values() for line in read]
        if len(known) == len(listed) and entry_stamp(entry) == before:
            break
    return lines


def answer(entries, reduced=False):
    lines = []
    for index, entry in enumerate(entries):
        lines += entry_lines(index, entry, reduced)
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
