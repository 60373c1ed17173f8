"""`python -m dingperf` runs the command line."""

from dingperf.cli import main

if __name__ == "__main__":
    main(prog_name="dingperf")
