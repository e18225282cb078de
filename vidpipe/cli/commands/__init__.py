"""One module per command (or per small group of commands that share their options). Each
collects its commands in a `Commands` and only parses, calls the use case below, and renders;
vidpipe/cli/main.py adds them to the Typer app. A command module imports only typer and the
CLI's light modules at load time: what a command's work needs is imported in its body."""
