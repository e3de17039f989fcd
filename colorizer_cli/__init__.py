"""The `colorizer` console command (see `colorizer_cli.command`); imports no extra's packages."""
