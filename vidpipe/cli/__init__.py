"""The `vidpipe` command line: vidpipe/cli/main.py is the program (`main`) and assembles the
Typer app from vidpipe/cli/commands/; commands are thin: they parse, call a use case in
vidpipe/app/, and render (views.py, output.py). This package imports nothing at load time."""
