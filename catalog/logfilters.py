"""Logging filters, kept free of Django imports: logging is configured before apps load."""

import logging


class ClientMistakeFilter(logging.Filter):
    """A client's bad request (a wrong Host, too many fields) is logged as one warning line,
    not as an error with a traceback: nothing on the server went wrong."""

    def filter(self, record):
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
