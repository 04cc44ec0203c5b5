"""The typed configuration schema and the validation of each section's parameters."""
