"""CLI commands, one small module per command group; `dingperf.cli` registers them on the `dingperf` group."""
