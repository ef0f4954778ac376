"""Train, validate, test or predict with any config: ``python train.py fit -c configs/translate/demo.yaml``."""
from cli.lesson_cli import cli_main

if __name__ == "__main__":
    cli_main()
