"""Pages the server draws: the picture of an answer's evidence (HTML, CSS and script as resource
files of this package)."""
