"""Logging: every module logs to its own `medgraphrag.*` logger; quiet unless asked.

Library code never configures handlers (the application decides where logs go); the CLI calls
`configure_logging` once, with `verbose` from `--verbose`.
"""

from __future__ import annotations

import logging

ROOT = "medgraphrag"


def configure_logging(*, verbose: bool = False, handler: logging.Handler | None = None) -> None:
    """Send medgraphrag's records to `handler` (stderr by default): warnings and errors, or with
    `verbose` everything from INFO up, medgraphrag's own DEBUG records included."""
    logger = logging.getLogger(ROOT)
    for old in list(logger.handlers):
        logger.removeHandler(old)
    chosen = handler or logging.StreamHandler()
    chosen.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    logger.addHandler(chosen)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False
