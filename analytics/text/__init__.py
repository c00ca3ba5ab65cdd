"""Text analytics over case descriptions: tokens stored once, top and emerging terms, search."""
