"""Background jobs: submit, poll, download."""
