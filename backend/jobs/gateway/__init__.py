"""Remote workers (Ray) reach their job through the runner's HTTP gateway instead of the SQLite file."""
