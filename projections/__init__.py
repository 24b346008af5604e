"""Read models built from the event log only; see the README's Read models section."""
