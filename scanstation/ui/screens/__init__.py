"""The screens of the counter application, one module each."""
