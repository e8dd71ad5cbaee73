"""Parts of the golden-file generator (scripts/generate_golden.py is the command-line entry)."""
