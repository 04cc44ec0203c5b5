"""Train one configuration, or sweep with -m. See README.md and `--help`."""

from trainlab.cli.train import main

if __name__ == "__main__":
    main()
