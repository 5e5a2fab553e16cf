"""Log lines a person can follow: one line per event, to stderr and optionally `LOG_FILE`."""
import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(log_file=""):
    root = logging.getLogger()
    if getattr(root, "_wallet_configured", False):
        return
    handlers = [logging.StreamHandler()]
    if log_file:
        handlers.append(logging.FileHandler(log_file))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    root._wallet_configured = True
