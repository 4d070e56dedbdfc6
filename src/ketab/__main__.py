from ketab.cli import main

main()
