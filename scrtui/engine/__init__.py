"""The upload job: selects the work, sends it through a bounded pipeline, obeys its gates."""
