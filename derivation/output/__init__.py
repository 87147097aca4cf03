"""Documents: rendering through templates, notebooks, figures, code exports, files written safely, builds.

May import every layer below (never api)."""
