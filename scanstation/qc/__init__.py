"""Image quality control: per-page and per-component checks, plain functions with progress/cancel."""
