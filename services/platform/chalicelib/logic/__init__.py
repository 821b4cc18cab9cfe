"""Platform use cases: they apply domain rules through the repository and the directory."""
