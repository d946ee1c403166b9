"""gunicorn for the benchmark: one sync worker, no access log, never recycled."""

workers = 1
worker_class = "sync"
timeout = 300
accesslog = None
max_requests = 0
