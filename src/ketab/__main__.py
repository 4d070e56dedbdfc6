from ketab.commands import main

main()
