"`python -m ustudents ...` (also under torchrun): the same as the `ustudents` command."
import sys
from ustudents.cli import main

if __name__ == '__main__': sys.exit(main())
