"""``make bench``: eservice's HTTP API against pgbench on the same SQL, on one machine."""
