import sys

from colorizer_cli.command import main

sys.exit(main())
