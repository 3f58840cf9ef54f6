"""The pure rules: loans, events, digests, roles, parsing. Standard library only; every function takes
``now``/``today`` as arguments."""
