"""validate_results.py SCHEMA RESULTS...: validate results.json files against
the JSON Schema with the jsonschema package (Debian python3-jsonschema)."""
import json
import sys

import jsonschema


def main(argv):
    schema = json.load(open(argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in argv[2:]:
        doc = json.load(open(path))
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:10]:
            loc = "/".join(str(p) for p in e.path)
            print(f"{path}: /{loc}: {e.message}", file=sys.stderr)
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
