"""The foundation: settings, ids, errors, progress and logging. It imports nothing above it."""
