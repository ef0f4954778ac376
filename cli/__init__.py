"""The command line: ``LessonCLI`` and ``cli_main`` (nothing in the project imports this)."""
