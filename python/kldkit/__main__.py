"""python3 -m kldkit ARGS: the kldkit command line bundled with the package
(pip install builds it beside libkldkit), with every command and option of
the CLI: compare, rank, demo, convert, verify, ..."""
import os
import subprocess
import sys


def cli_path():
    """The bundled kldkit executable, or None (a source-tree import)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin",
                        "kldkit")
    return path if os.access(path, os.X_OK) else None


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    path = cli_path()
    if path is None:
        sys.stderr.write("kldkit: this package has no bundled command line "
                         "(it is installed with pip install ./python)\n")
        return 2
    return subprocess.call([path] + list(args))


if __name__ == "__main__":
    sys.exit(main())
