"""Background work that the composition root starts: each module schedules its own jobs."""
