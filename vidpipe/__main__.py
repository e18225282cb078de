from vidpipe.cli import main

main()
