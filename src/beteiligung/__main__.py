from beteiligung.cli import main

main()
