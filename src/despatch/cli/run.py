"""``python -m despatch.cli.run``: the same as the ``despatch`` command."""

from despatch.cli import main

if __name__ == "__main__":
    main()
