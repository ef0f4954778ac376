"""The generated drawings of everyday nouns (the offline DeViSE demo)."""
