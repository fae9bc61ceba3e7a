"""`python -m kiln ARGS` and the `kiln` console script: the kiln CLI (tools/cli/), installed with
the package in kiln/bin/."""
import os
import sys


def _cli():
    here = os.path.dirname(os.path.abspath(__file__))
    for path in (os.path.join(here, "bin", "kiln"),                 # installed package
                 os.path.join(here, "..", "..", "bin", "kiln")):    # build folder: build/bin
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.normpath(path)
    raise SystemExit("kiln: the kiln CLI was not installed with this package")


def main():
    cli = _cli()
    os.execv(cli, [cli] + sys.argv[1:])


if __name__ == "__main__":
    main()
