from mlsc.cli.app import main

main()
