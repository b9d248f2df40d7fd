from databricks_mlops.cli.app import main

main()
