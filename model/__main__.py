import sys

from colorizer_cli.colorize import main  # the offline CLI lives in colorizer_cli; `python -m model` stays

sys.exit(main(prog="python -m model"))
