import sys

from atlas.cli import main

if __name__ == "__main__":  # guarded: worker processes started with "spawn" import the main module again
    sys.exit(main())
