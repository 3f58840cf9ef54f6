"""Samples of the data key's lines (issue 18 item 6: encryption at rest)."""

SAMPLES = {
    "plain/cli/data_key": {"code": "wrong"},
    "plain/cli/data_key_created": {"path": "/home/kelurahan/pem-bot/.env"},
    "plain/cli/rotate_key": {"kind": "done", "rows": 1234, "path": "./data/pem.sqlite3",
                             "env_file": "/home/kelurahan/pem-bot/.env"},
}
