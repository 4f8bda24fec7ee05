"""`python -m assetwatch.cli`: the `assetwatch` command, for a child process of this one."""

from assetwatch.cli import main

main()
